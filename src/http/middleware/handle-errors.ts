import type { Middleware } from 'koa'
import { flatLineLogger, type Logger } from '../../logger.js'
import { errorDialectOf, sendError, toErrorResponse } from '../errors.js'

/**
 * Outermost middleware: logs each request once (method, path, status, duration; never bodies,
 * query strings or headers, which can hold credentials) and turns every error into the documented
 * JSON shape. Every response carries X-Request-Id (the log line's requestId) and nosniff.
 */
export function handleErrors(logger: Logger, options: { bodyLimit: number }): Middleware {
  const requests = flatLineLogger(logger)
  return async (ctx, next) => {
    const started = performance.now()
    const requestId = crypto.randomUUID()
    ctx.set('X-Request-Id', requestId)
    ctx.set('X-Content-Type-Options', 'nosniff')
    let failure: { err: unknown } | { error: string; detail?: string } | undefined
    try {
      await next()
      if (ctx.body == null) {
        if (ctx.status === 404) ctx.throw(404)
        // The router answers a method it knows on a path it has with 405, and a method no router
        // implements (PROPFIND, TRACE, …) with 501; both name the path's methods in Allow. With
        // none, the path does not exist.
        if (ctx.status === 405 || ctx.status === 501) {
          if (ctx.response.get('Allow')) ctx.throw(405)
          ctx.remove('Allow')
          ctx.throw(404)
        }
      }
    } catch (error) {
      const response = toErrorResponse(error, { ...options, dialect: errorDialectOf(ctx) })
      sendError(ctx, response)
      failure = response.unexpected
        ? { err: error }
        : { error: response.error, ...(response.logDetail ? { detail: response.logDetail } : {}) }
    }
    const line = { requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) }
    if (failure && 'err' in failure) {
      // An unexpected error is an object (stack, cause, anything attached): the fully redacting logger.
      logger.error({ ...line, ...failure }, 'request failed')
      return
    }
    const flat = failure ? { ...line, ...failure } : line
    if (ctx.status >= 500) requests.error(flat, 'request failed')
    else requests.info(flat, 'request')
  }
}
