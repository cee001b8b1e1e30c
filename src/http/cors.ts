import cors from '@koa/cors'
import type { Middleware } from 'koa'
import type { Logger } from '../logger.js'

/**
 * The endpoints a first-party frontend calls from the browser, and the method each answers. The
 * admin API, the revocation feed and introspection are for servers: they never answer CORS, so no
 * page can call them from a browser whatever origin it is on.
 */
export const BROWSER_ENDPOINTS: Readonly<Record<string, 'GET' | 'POST'>> = {
  '/register': 'POST',
  '/login': 'POST',
  '/refresh': 'POST',
  '/logout': 'POST',
  '/logout-all': 'POST',
  '/me': 'GET',
  '/oauth/token': 'POST',
  '/oauth/revoke': 'POST',
}

/** Seconds a browser may cache a preflight's answer (Chromium caps it at 7200). */
export const PREFLIGHT_MAX_AGE_SECONDS = 600

/**
 * The origins CORS answers: the union of the allowed origins of every client not disabled, held in
 * memory and reloaded every `refreshIntervalSeconds` (clients registered by another process or
 * replica show within one interval) and at once after a client is created in this process. A
 * failed reload keeps the last set and logs a warning.
 */
export class AllowedOrigins {
  #origins: ReadonlySet<string> = new Set()
  #timer: NodeJS.Timeout | undefined

  private constructor(
    private readonly load: () => Promise<string[]>,
    private readonly logger: Logger,
  ) {}

  static async open(options: { load: () => Promise<string[]>; refreshIntervalSeconds: number; logger: Logger }): Promise<AllowedOrigins> {
    const origins = new AllowedOrigins(options.load, options.logger)
    origins.#origins = new Set(await options.load())
    origins.#timer = setInterval(() => void origins.refresh(), options.refreshIntervalSeconds * 1000).unref()
    return origins
  }

  /** Exact match only: the stored origins are canonical (scheme://host[:port]), as browsers send them. */
  has(origin: string): boolean {
    return this.#origins.has(origin)
  }

  async refresh(): Promise<void> {
    try {
      this.#origins = new Set(await this.load())
    } catch (error) {
      this.logger.warn({ err: error }, 'could not reload the allowed origins; keeping the previous ones')
    }
  }

  close(): void {
    clearInterval(this.#timer)
  }
}

/**
 * CORS (@koa/cors) on the browser endpoints for the allowed origins only: the request's Origin is
 * echoed when it is one of them and nothing is sent otherwise (never `*`, never an arbitrary
 * Origin reflected). No credentials: tokens travel in bodies and the Authorization header, never in
 * cookies, so there is nothing for a browser to attach. Preflights allow Authorization and
 * Content-Type and are cached for PREFLIGHT_MAX_AGE_SECONDS.
 */
export function browserCors(origins: AllowedOrigins): Middleware {
  const byMethod = Object.fromEntries(
    (['GET', 'POST'] as const).map((method) => [
      method,
      cors({
        origin: (ctx) => (origins.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
        allowMethods: method,
        allowHeaders: ['Authorization', 'Content-Type'],
        maxAge: PREFLIGHT_MAX_AGE_SECONDS,
        credentials: false,
      }),
    ]),
  ) as Record<'GET' | 'POST', Middleware>
  return (ctx, next) => {
    const method = BROWSER_ENDPOINTS[ctx.path]
    return method ? byMethod[method](ctx, next) : next()
  }
}
