import type { Middleware } from 'koa'

/** Where each answered request is counted (src/metrics implements it with prom-client). */
export interface HttpMetrics {
  /**
   * `route` is the pattern of the route that answered (`/admin/users/:id`), never the raw path,
   * or `unmatched` when none did (404, 405); `method` is one of a closed set or `other`.
   */
  request(method: string, route: string, status: number, seconds: number): void
}

export const UNMATCHED_ROUTE = 'unmatched'

/**
 * Outermost, so that it sees the status handleErrors settled on. A stream (/events/stream) is
 * counted when its headers are decided, and its duration is the time to open it. Installed only
 * when metrics are on: with them off, requests do not pass here at all.
 */
export function recordRequests(metrics: HttpMetrics): Middleware {
  return async (ctx, next) => {
    const started = performance.now()
    try {
      await next()
    } finally {
      // Set by @koa/router to the matched layer's path (prefix included) once a route matches path and method.
      const route = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute
      metrics.request(ctx.method, route === undefined ? UNMATCHED_ROUTE : String(route), ctx.status, (performance.now() - started) / 1000)
    }
  }
}
