import type { Middleware } from 'koa'
import { useErrorDialect } from '../errors.js'

/**
 * What every OAuth endpoint shares: its responses are never cached (RFC 6749 section 5.1 asks
 * token responses for `Cache-Control: no-store` and `Pragma: no-cache`; introspection and
 * revocation answers are about credentials too), and its errors are spoken in RFC 6749 section
 * 5.2's dialect. Goes first on those routes, so a refused body is answered in that dialect too.
 */
export function oauthEndpoint(): Middleware {
  return async (ctx, next) => {
    useErrorDialect(ctx, 'oauth')
    ctx.set('Cache-Control', 'no-store')
    ctx.set('Pragma', 'no-cache')
    await next()
  }
}
