/**
 * Why the verifier refused a token. `code` is a closed union, like jose's error codes, so callers
 * can switch on it; `reason` says more, for logs and metrics. Neither ever contains the token.
 */
export type VerifierErrorCode = 'invalid_token' | 'revoked' | 'stale'

/** The detail behind each code. */
export type VerifierErrorReason =
  // invalid_token
  | 'missing'
  | 'malformed'
  | 'signature'
  | 'expired'
  | 'claims'
  // revoked
  | 'session'
  | 'user_version'
  | 'user_disabled'
  | 'access_token'
  | 'inactive'
  // stale
  | 'not_caught_up'
  | 'silent'
  | 'capacity'
  | 'discovery'
  | 'keys_unavailable'
  | 'introspection_failed'
  | 'closed'

export const REASONS_BY_CODE = {
  invalid_token: ['missing', 'malformed', 'signature', 'expired', 'claims'],
  revoked: ['session', 'user_version', 'user_disabled', 'access_token', 'inactive'],
  stale: ['not_caught_up', 'silent', 'capacity', 'discovery', 'keys_unavailable', 'introspection_failed', 'closed'],
} as const satisfies Record<VerifierErrorCode, readonly VerifierErrorReason[]>

/** What an HTTP server answers for a refused token: status, headers and an RFC 6749-style body. */
export interface VerifierErrorResponse {
  status: 401 | 503
  headers: Record<string, string>
  body: { error: 'invalid_token' | 'temporarily_unavailable'; error_description: string }
}

/**
 * Thrown by `verify`, `authenticate` and `verifyRequest` for every refused token. Anything else
 * they throw is a bug or a misuse, never a verdict on the token.
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify(token)
 * } catch (error) {
 *   if (!(error instanceof VerifierError)) throw error
 *   if (error.code === 'stale') retryLater()
 * }
 * ```
 */
export class VerifierError extends Error {
  override readonly name = 'VerifierError'

  constructor(
    readonly code: VerifierErrorCode,
    readonly reason: VerifierErrorReason,
    message: string,
  ) {
    super(message)
  }

  /** 401 for a token that is invalid or revoked, 503 while the verifier cannot vouch for revocations. */
  get status(): 401 | 503 {
    return this.code === 'stale' ? 503 : 401
  }

  /**
   * The answer to send (RFC 6750 section 3 for 401: `WWW-Authenticate: Bearer
   * error="invalid_token"`; a revoked token is an invalid one to the client). The description is
   * the error's message, which never contains the token.
   */
  toResponse(): VerifierErrorResponse {
    const headers: Record<string, string> = { 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' }
    if (this.code === 'stale') {
      headers['retry-after'] = '1'
      return { status: 503, headers, body: { error: 'temporarily_unavailable', error_description: this.message } }
    }
    headers['www-authenticate'] = `Bearer error="invalid_token", error_description="${this.message.replace(/["\\]/g, '')}"`
    return { status: 401, headers, body: { error: 'invalid_token', error_description: this.message } }
  }
}

export function invalidToken(reason: (typeof REASONS_BY_CODE)['invalid_token'][number], message: string): VerifierError {
  return new VerifierError('invalid_token', reason, message)
}

export function revoked(reason: (typeof REASONS_BY_CODE)['revoked'][number], message: string): VerifierError {
  return new VerifierError('revoked', reason, message)
}

export function stale(reason: (typeof REASONS_BY_CODE)['stale'][number], message: string): VerifierError {
  return new VerifierError('stale', reason, message)
}
