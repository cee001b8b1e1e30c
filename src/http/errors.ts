import type { Context } from 'koa'
import { z } from 'zod'
import { InvalidRequestError, LatchError, type LatchErrorCode } from '../domain/errors.js'

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
}

const STATUS_BY_CODE: Record<LatchErrorCode, number> = {
  invalid_request: 400,
  invalid_grant: 401,
  invalid_token: 401,
  email_taken: 409,
  account_locked: 403,
  registration_closed: 403,
  forbidden: 403,
  not_found: 404,
  temporarily_unavailable: 503,
}

const HTTP_ERRORS: Record<number, { error: ErrorCode; description: (limit: number) => string }> = {
  400: { error: 'invalid_request', description: () => 'The request body must be a valid JSON object.' },
  404: { error: 'not_found', description: () => 'No such endpoint.' },
  405: { error: 'method_not_allowed', description: () => 'This endpoint does not support that method.' },
  413: { error: 'invalid_request', description: (limit) => `The request body exceeds ${limit} bytes.` },
  415: { error: 'invalid_request', description: () => 'Content-Type must be application/json.' },
}

export function toErrorResponse(error: unknown, options: { bodyLimit: number }): ErrorResponse {
  if (error instanceof LatchError) {
    return {
      status: STATUS_BY_CODE[error.code],
      error: error.code,
      description: error.description,
      logDetail: error.detail,
      unexpected: false,
    }
  }
  const status = (error as { status?: unknown })?.status
  const known = typeof status === 'number' ? HTTP_ERRORS[status] : undefined
  if (known && (error as { expose?: unknown }).expose !== false) {
    return {
      status: status as number,
      error: known.error,
      description: known.description(options.bodyLimit),
      logDetail: (error as Error).message,
      unexpected: false,
    }
  }
  return { status: 500, error: 'server_error', description: 'An unexpected error occurred.', unexpected: true }
}

/** Writes an error response. `Cache-Control: no-store` because error bodies can be about credentials. */
export function sendError(ctx: Context, response: ErrorResponse): void {
  ctx.status = response.status
  ctx.set('Cache-Control', 'no-store')
  if (response.error === 'invalid_token') ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"')
  ctx.body = { error: response.error, error_description: response.description }
}

/** Parses input with a zod schema; failures list every field at fault, never the values sent. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
  throw new InvalidRequestError(problems.join('; '))
}
