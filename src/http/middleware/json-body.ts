import { bodyParser } from '@koa/bodyparser'
import type { Middleware } from 'koa'
import { refuseContentEncoding } from './content-encoding.js'

/**
 * Parses a JSON object body of at most `limit` bytes. Anything else is refused before a handler
 * runs: a wrong Content-Type or a Content-Encoding other than identity with 415, malformed or
 * non-object JSON with 400, a large body with 413.
 */
export function jsonBody(limit: number): Middleware {
  const parse = bodyParser({ enableTypes: ['json'], jsonLimit: limit, jsonStrict: true, encoding: 'utf-8' })
  return async (ctx, next) => {
    if (!ctx.is('application/json')) ctx.throw(415)
    refuseContentEncoding(ctx)
    await parse(ctx, async () => {
      const body = ctx.request.body
      if (typeof body !== 'object' || body === null || Array.isArray(body)) ctx.throw(400)
      await next()
    })
  }
}
