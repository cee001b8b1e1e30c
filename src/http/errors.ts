import type { Context } from 'koa'
import { z } from 'zod'
import { InvalidRequestError, LatchError, TooManyAttemptsError, type LatchErrorCode } from '../domain/errors.js'

/**
 * The one place errors become HTTP responses, in the RFC 6749 shape
 * `{"error": code, "error_description": text}`. Domain errors carry a stable code and a public
 * description; their private detail is logged, never sent. Errors raised by Koa middleware (bad
 * JSON, oversized bodies, unknown routes) follow Koa's status/expose contract and are mapped to
 * fixed texts. Anything else is a bug: it is logged with its stack and the client sees only
 * `server_error`.
 */
export type ErrorCode = LatchErrorCode | 'method_not_allowed' | 'server_error'

export interface ErrorResponse {
  status: number
  error: ErrorCode
  description: string
  /** What operators see: the domain's private detail or the internal message. */
  logDetail?: string
  unexpected: boolean
  /** Seconds the client should wait before retrying (sent as Retry-After). */
  retryAfterSeconds?: number
}

const STATUS_BY_CODE: Record<LatchErrorCode, number> = {
  invalid_request: 400,
  invalid_grant: 401,
  invalid_token: 401,
  invalid_client: 401,
  invalid_scope: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  email_taken: 409,
  account_locked: 403,
  registration_closed: 403,
  forbidden: 403,
  not_found: 404,
  last_admin: 409,
  key_rotation_unavailable: 409,
  temporarily_unavailable: 503,
  too_many_requests: 429,
}

const HTTP_ERRORS: Record<number, { error: ErrorCode; description: (limit: number) => string }> = {
  400: { error: 'invalid_request', description: () => 'The request body must be a valid JSON object.' },
  404: { error: 'not_found', description: () => 'No such endpoint.' },
  405: { error: 'method_not_allowed', description: () => 'This endpoint does not support that method.' },
  413: { error: 'invalid_request', description: (limit) => `The request body exceeds ${limit} bytes.` },
  415: { error: 'invalid_request', description: () => 'Content-Type must be application/json.' },
}

/**
 * How a request's errors are spoken. The OAuth endpoints (/oauth/*) follow RFC 6749 section 5.2,
 * where invalid_grant is a 400 (Latch's JSON API keeps its 401) and bodies are forms; everything
 * else about the error shape is shared. A middleware of those endpoints selects it.
 */
export type ErrorDialect = 'latch' | 'oauth'

const OAUTH_STATUS_BY_CODE: Partial<Record<LatchErrorCode, number>> = { invalid_grant: 400 }

const OAUTH_HTTP_ERRORS: typeof HTTP_ERRORS = {
  ...HTTP_ERRORS,
  415: { error: 'invalid_request', description: () => 'Content-Type must be application/x-www-form-urlencoded.' },
}

const DIALECT = Symbol('errorDialect')

export function useErrorDialect(ctx: Context, dialect: ErrorDialect): void {
  ;(ctx.state as Record<symbol, unknown>)[DIALECT] = dialect
}

export function errorDialectOf(ctx: Context): ErrorDialect {
  return (ctx.state as Record<symbol, unknown>)[DIALECT] === 'oauth' ? 'oauth' : 'latch'
}

/** A request body in a Content-Encoding Latch does not decode (anything but identity): 415, with its own text. */
export class UnsupportedContentEncodingError extends Error {
  override name = 'UnsupportedContentEncodingError'
  readonly status = 415
  readonly expose = true
}

export function toErrorResponse(error: unknown, options: { bodyLimit: number; dialect?: ErrorDialect }): ErrorResponse {
  const oauth = options.dialect === 'oauth'
  if (error instanceof UnsupportedContentEncodingError) {
    return {
      status: 415,
      error: 'invalid_request',
      description: 'Content-Encoding must be identity: compressed request bodies are not accepted.',
      logDetail: error.message,
      unexpected: false,
    }
  }
  if (error instanceof LatchError) {
    return {
      status: (oauth ? OAUTH_STATUS_BY_CODE[error.code] : undefined) ?? STATUS_BY_CODE[error.code],
      error: error.code,
      description: error.description,
      logDetail: error.detail,
      unexpected: false,
      ...(error instanceof TooManyAttemptsError ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
    }
  }
  const status = (error as { status?: unknown })?.status
  const known = typeof status === 'number' ? (oauth ? OAUTH_HTTP_ERRORS : HTTP_ERRORS)[status] : undefined
  if (known && (error as { expose?: unknown }).expose !== false) {
    return {
      status: status as number,
      error: known.error,
      description: known.description(options.bodyLimit),
      // V8's JSON.parse messages quote the body around the fault, which can be a password.
      logDetail: error instanceof SyntaxError ? 'malformed JSON body' : (error as Error).message,
      unexpected: false,
    }
  }
  return { status: 500, error: 'server_error', description: 'An unexpected error occurred.', unexpected: true }
}

/**
 * Writes an error response. `Cache-Control: no-store` (and HTTP/1.0's `Pragma: no-cache`, which
 * RFC 6749 section 5.1 asks of token responses) because error bodies can be about credentials.
 */
export function sendError(ctx: Context, response: ErrorResponse): void {
  ctx.status = response.status
  ctx.set('Cache-Control', 'no-store')
  ctx.set('Pragma', 'no-cache')
  if (response.error === 'invalid_token') ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"')
  // RFC 7235 section 3.1: every 401 carries a challenge. For invalid_client it is Basic, the scheme
  // clients authenticate with (RFC 6749 section 5.2), however this client tried.
  if (response.error === 'invalid_client' && response.status === 401) ctx.set('WWW-Authenticate', 'Basic realm="latch"')
  if (response.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(response.retryAfterSeconds))
  ctx.body = { error: response.error, error_description: response.description }
}

/** Parses input with a zod schema; failures list every field at fault, never the values sent. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
  throw new InvalidRequestError(problems.join('; '))
}
