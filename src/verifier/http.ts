import type { AccessTokenClaims } from './access-token.js'
import { invalidToken, VerifierError } from './errors.js'

/** RFC 6750 section 2.1: `Bearer` (any case), one or more spaces, a token68. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/** The access token of an `Authorization` header; throws `invalid_token` (`missing` or `malformed`). */
export function bearerToken(authorization: string | readonly string[] | null | undefined): string {
  if (authorization === undefined || authorization === null || authorization === '') {
    throw invalidToken('missing', 'An access token is required (Authorization: Bearer).')
  }
  if (typeof authorization !== 'string') throw invalidToken('malformed', 'The Authorization header is malformed.')
  const match = BEARER.exec(authorization)
  if (!match) throw invalidToken('malformed', 'The Authorization header is not a Bearer access token.')
  return match[1]!
}

/**
 * The part of a Koa context the middleware uses, declared here so the verifier needs no Koa
 * (a Koa 2 or 3 `ParameterizedContext` fits it).
 */
export interface KoaLikeContext {
  get(field: string): string
  set(field: string, value: string): void
  status: number
  body: unknown
  state: Record<string, any>
}

export type KoaLikeMiddleware = (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<void>

/** Any request with Node-style lower-case headers: node:http, Express, Fastify's `request.raw`… */
export interface RequestLike {
  headers: Record<string, string | string[] | undefined>
}

export interface KoaOptions {
  /** Where the claims go in `ctx.state` (default `accessToken`). */
  stateKey?: string
}

/**
 * Koa middleware: verifies `Authorization: Bearer`, puts the claims in `ctx.state[stateKey]` and
 * calls the next middleware; refuses with 401 (`WWW-Authenticate: Bearer error="invalid_token"`)
 * or 503 (stale), with an RFC 6749-style `{error, error_description}` body. Errors thrown
 * downstream are not touched.
 */
export function koaMiddleware(authenticate: (authorization: string) => Promise<AccessTokenClaims>, options: KoaOptions = {}): KoaLikeMiddleware {
  const stateKey = options.stateKey ?? 'accessToken'
  return async (ctx, next) => {
    let claims: AccessTokenClaims
    try {
      claims = await authenticate(ctx.get('Authorization'))
    } catch (error) {
      if (!(error instanceof VerifierError)) throw error
      const response = error.toResponse()
      ctx.status = response.status
      for (const [name, value] of Object.entries(response.headers)) ctx.set(name, value)
      ctx.body = response.body
      return
    }
    ctx.state[stateKey] = claims
    await next()
  }
}
