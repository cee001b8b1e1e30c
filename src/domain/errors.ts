/**
 * The closed set of errors the domain raises. Each has a stable `code` that clients and tests
 * rely on, a fixed public `description`, and an optional private `detail` that goes to logs and
 * the audit trail but never into a response body (the split node-oidc-provider and GoTrue use).
 * Which HTTP status a code becomes is decided in one place: src/http/errors.ts.
 */
export type LatchErrorCode =
  | 'invalid_request'
  | 'invalid_grant'
  | 'invalid_token'
  | 'invalid_client'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'email_taken'
  | 'account_locked'
  | 'registration_closed'
  | 'forbidden'
  | 'not_found'
  | 'last_admin'
  | 'key_rotation_unavailable'
  | 'temporarily_unavailable'
  | 'too_many_requests'

export interface LatchErrorOptions {
  /** Why it happened, for operators. Never shown to the client. */
  detail?: string
  cause?: unknown
}

export abstract class LatchError extends Error {
  abstract readonly code: LatchErrorCode
  /** The private cause, for logs only. */
  readonly detail: string | undefined

  constructor(description: string, options: LatchErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.detail = options.detail
  }

  /** What the client is told. */
  get description(): string {
    return this.message
  }
}

export class InvalidRequestError extends LatchError {
  readonly code = 'invalid_request'
}

/** Credentials or a refresh token were not accepted. The public text never says which check failed. */
export class InvalidGrantError extends LatchError {
  readonly code = 'invalid_grant'
  constructor(detail: string, options: Omit<LatchErrorOptions, 'detail'> = {}) {
    super('The provided credentials or refresh token are invalid, expired or revoked.', { ...options, detail })
  }
}

/** An access token was missing, malformed, expired, or no longer backed by live state. */
export class InvalidTokenError extends LatchError {
  readonly code = 'invalid_token'
  constructor(detail: string, options: Omit<LatchErrorOptions, 'detail'> = {}) {
    super('The access token is missing, invalid, expired or revoked.', { ...options, detail })
  }
}

/** Client authentication failed: unknown or disabled client, wrong secret, or no authentication (RFC 6749 section 5.2). */
export class InvalidClientError extends LatchError {
  readonly code = 'invalid_client'
  constructor(detail: string) {
    super('Client authentication failed.', { detail })
  }
}

/** The requested scope exceeds the scope granted (RFC 6749 sections 5.2 and 6). */
export class InvalidScopeError extends LatchError {
  readonly code = 'invalid_scope'
  constructor(detail: string) {
    super('The requested scope is invalid or exceeds the scope originally granted.', { detail })
  }
}

/** The client is authenticated but may not use this grant (RFC 6749 section 5.2). */
export class UnauthorizedClientError extends LatchError {
  readonly code = 'unauthorized_client'
  constructor(detail: string) {
    super('This client is not authorized to use this grant.', { detail })
  }
}

export class UnsupportedGrantTypeError extends LatchError {
  readonly code = 'unsupported_grant_type'
  constructor(detail: string) {
    super('The grant type is not supported by this server.', { detail })
  }
}

export class EmailTakenError extends LatchError {
  readonly code = 'email_taken'
  constructor() {
    super('An account with this email address already exists.')
  }
}

export class AccountLockedError extends LatchError {
  readonly code = 'account_locked'
  constructor(detail?: string) {
    super('This account is locked. Contact an administrator.', { detail })
  }
}

export class RegistrationClosedError extends LatchError {
  readonly code = 'registration_closed'
  constructor() {
    super('Registration is closed on this server.')
  }
}

export class ForbiddenError extends LatchError {
  readonly code = 'forbidden'
}

export class NotFoundError extends LatchError {
  readonly code = 'not_found'
}

/** The change would leave no unlocked admin, and so nobody to undo it; `force` overrides. */
export class LastAdminError extends LatchError {
  readonly code = 'last_admin'
  constructor(detail?: string) {
    super('This would leave no unlocked admin. Repeat the request with force to do it anyway.', { detail })
  }
}

/** Signing keys are fixed by configuration on this server: there is nothing to rotate or list. */
export class KeyRotationUnavailableError extends LatchError {
  readonly code = 'key_rotation_unavailable'
  constructor(detail?: string) {
    super('Signing keys on this server are fixed by configuration; rotate them by changing the configured keys.', { detail })
  }
}

/** Too many failed logins from this address (for this email); the caller may retry after `retryAfterSeconds`. */
export class TooManyAttemptsError extends LatchError {
  readonly code = 'too_many_requests'
  constructor(
    readonly retryAfterSeconds: number,
    detail: string,
  ) {
    super('Too many failed login attempts. Try again later.', { detail })
  }
}

/** A dependency (the database) is unreachable; the request may succeed if retried. */
export class ServiceUnavailableError extends LatchError {
  readonly code = 'temporarily_unavailable'
  constructor(detail: string, options: Omit<LatchErrorOptions, 'detail'> = {}) {
    super('The service is temporarily unavailable. Retry shortly.', { ...options, detail })
  }
}
