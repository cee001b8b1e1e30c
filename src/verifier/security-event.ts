import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { isCursor } from './cursor.js'
import type { Revocation } from './revocation-set.js'

/** The event types of docs/revocation-feed.md ("Each entry is a Security Event Token"). */
export const EVENT_TYPES = {
  sessionRevoked: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  accountDisabled: 'https://schemas.openid.net/secevent/risc/event-type/account-disabled',
  accountEnabled: 'https://schemas.openid.net/secevent/risc/event-type/account-enabled',
  accessTokenRevoked: 'urn:latch:secevent:access-token-revoked',
} as const

/** Asymmetric JWS algorithms: never `none`, never HS* (a public key is no shared secret). */
export const ASYMMETRIC_ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const

/**
 * Why a SET was ignored:
 * - `malformed`: not a compact JWS with a JSON payload;
 * - `signature`: no key of the JWKS verifies it (forged, unsigned, HS*, unknown kid);
 * - `typ`: the header's `typ` is not `secevent+jwt` (an access token is not a SET);
 * - `issuer`: `iss` is not the configured issuer;
 * - `event_type`: not exactly one event, or an event type this verifier does not know;
 * - `payload`: the event or its subject lacks what its kind needs;
 * - `cursor`: its `jti` is not the cursor it was delivered under.
 */
export type IgnoredSetReason = 'malformed' | 'signature' | 'typ' | 'issuer' | 'event_type' | 'payload' | 'cursor'

export const IGNORED_SET_REASONS: readonly IgnoredSetReason[] = ['malformed', 'signature', 'typ', 'issuer', 'event_type', 'payload', 'cursor']

/**
 * Whether jose failed because the JWKS could not be fetched or read (timeout, network, not 200,
 * not a JWK Set), rather than because of the token: such a failure is retried, never a verdict.
 */
export function isKeySetUnavailable(error: unknown): boolean {
  if (!(error instanceof joseErrors.JOSEError)) return true
  return error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid || error.code === 'ERR_JOSE_GENERIC'
}

export type SetVerdict = { ok: true; revocation: Revocation } | { ok: false; reason: IgnoredSetReason }

export interface VerifySetOptions {
  issuer: string
  /** The cursor the feed delivered the SET under (SSE `id`, or `cursor` in a poll page), if any. */
  cursor?: string | undefined
  algorithms?: readonly string[]
}

/**
 * Verifies one Security Event Token of the feed (RFC 8417) and decodes it into a revocation. The
 * signature must verify against the JWKS (an algorithm that key allows, asymmetric only), the
 * header `typ` must be `secevent+jwt`, `iss` the issuer, and `events` exactly one known event
 * whose subject and payload fit its kind. Anything else is a verdict, never an exception.
 */
export async function verifySecurityEvent(jwt: string, keys: JWTVerifyGetKey, options: VerifySetOptions): Promise<SetVerdict> {
  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(jwt, keys, {
      issuer: options.issuer,
      typ: 'secevent+jwt',
      algorithms: [...(options.algorithms ?? ASYMMETRIC_ALGORITHMS)],
      requiredClaims: ['jti', 'iat'],
    }))
  } catch (error) {
    // The keys could not be had: that is no verdict on the SET, and ignoring it could lose a
    // revocation, so the feed must retry it.
    if (isKeySetUnavailable(error)) throw error
    return { ok: false, reason: joseFailure(error) }
  }
  if (!isCursor(payload.jti)) return { ok: false, reason: 'payload' }
  if (options.cursor !== undefined && payload.jti !== options.cursor) return { ok: false, reason: 'cursor' }
  const events = payload.events
  if (!isObject(events)) return { ok: false, reason: 'event_type' }
  const types = Object.keys(events)
  if (types.length !== 1) return { ok: false, reason: 'event_type' }
  const type = types[0]!
  if (!(Object.values(EVENT_TYPES) as string[]).includes(type)) return { ok: false, reason: 'event_type' }
  const event = events[type]
  if (!isObject(event)) return { ok: false, reason: 'payload' }
  const revocation = decodeEvent(type, event, payload.sub_id, payload.jti, options.issuer)
  return revocation ? { ok: true, revocation } : { ok: false, reason: 'payload' }
}

function decodeEvent(type: string, event: Record<string, unknown>, subject: unknown, cursor: string, issuer: string): Revocation | null {
  const expiresAt = event.latch_expires_at
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return null
  const base = { cursor, reason: reasonOf(event), expiresAt: expiresAt * 1000 }
  const user = userOf(subject, issuer)
  switch (type) {
    case EVENT_TYPES.sessionRevoked: {
      if (isObject(subject) && subject.format === 'complex') {
        const session = subject.session
        if (!user || !isObject(session) || session.format !== 'opaque' || !isNonEmptyString(session.id)) return null
        return { kind: 'session', sub: user, sid: session.id, ...base }
      }
      const minVer = event.latch_min_ver
      if (!user || !Number.isSafeInteger(minVer) || (minVer as number) < 0) return null
      return { kind: 'user_version', sub: user, minVer: minVer as number, ...base }
    }
    case EVENT_TYPES.accountDisabled:
      return user && isSimpleSubject(subject) ? { kind: 'user_disabled', sub: user, ...base } : null
    case EVENT_TYPES.accountEnabled:
      return user && isSimpleSubject(subject) ? { kind: 'user_enabled', sub: user, ...base } : null
    case EVENT_TYPES.accessTokenRevoked:
      return user && isNonEmptyString(event.jti) ? { kind: 'access_token', sub: user, jti: event.jti, ...base } : null
    default:
      return null
  }
}

/** The user of an SSF subject: `iss_sub` itself, or the `user` of a `complex` one; from this issuer only. */
function userOf(subject: unknown, issuer: string): string | null {
  if (!isObject(subject)) return null
  const user = subject.format === 'complex' ? subject.user : subject
  if (!isObject(user) || user.format !== 'iss_sub' || user.iss !== issuer || !isNonEmptyString(user.sub)) return null
  return user.sub
}

function isSimpleSubject(subject: unknown): boolean {
  return isObject(subject) && subject.format === 'iss_sub'
}

function reasonOf(event: Record<string, unknown>): string | null {
  const reason = event.reason_admin
  return isObject(reason) && typeof reason.en === 'string' ? reason.en : null
}

function joseFailure(error: unknown): IgnoredSetReason {
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'typ') return 'typ'
    if (error.claim === 'iss') return 'issuer'
    return 'payload'
  }
  if (error instanceof joseErrors.JWTExpired) return 'payload'
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JOSEAlgNotAllowed ||
    error instanceof joseErrors.JOSENotSupported ||
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys
  ) {
    return 'signature'
  }
  return 'malformed'
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0
}
