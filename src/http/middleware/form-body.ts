import { bodyParser } from '@koa/bodyparser'
import type { Middleware } from 'koa'
import { InvalidRequestError } from '../../domain/errors.js'
import { refuseContentEncoding } from './content-encoding.js'

/**
 * Parses an `application/x-www-form-urlencoded` body (what every OAuth endpoint takes) of at most
 * `limit` bytes into a flat object of strings: 415 for another Content-Type or a Content-Encoding
 * other than identity, 413 for a large body, as jsonBody does for JSON. The raw body is decoded with URLSearchParams rather than qs, so
 * `a[b]=c` stays a parameter named `a[b]` instead of a nested object, and a repeated parameter is
 * refused (RFC 6749 section 3.2: parameters MUST NOT be included more than once).
 */
export function formBody(limit: number): Middleware {
  const parse = bodyParser({ enableTypes: ['form'], formLimit: limit, encoding: 'utf-8' })
  return async (ctx, next) => {
    if (!ctx.is('application/x-www-form-urlencoded')) ctx.throw(415)
    refuseContentEncoding(ctx)
    await parse(ctx, async () => {
      ctx.request.body = formParameters(ctx.request.rawBody ?? '')
      await next()
    })
  }
}

function formParameters(raw: string): Record<string, string> {
  const parameters = new Map<string, string>()
  for (const [name, value] of new URLSearchParams(raw)) {
    if (parameters.has(name)) {
      throw new InvalidRequestError('A request parameter is included more than once.', { detail: `repeated form parameter ${JSON.stringify(name.slice(0, 64))}` })
    }
    parameters.set(name, value)
  }
  return Object.fromEntries(parameters)
}
