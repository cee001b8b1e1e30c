import { SignJWT, type JWTPayload } from 'jose'
import { epochSeconds } from '../clock.js'
import type { RevocationRecord } from '../ports.js'
import type { KeyRing } from '../tokens/key-ring.js'

/**
 * Event types of the Shared Signals Framework (CAEP, RISC) where one fits, and Latch's own where
 * none does: there is no standard event for "this one access token was revoked".
 */
export const EVENT_TYPES = {
  sessionRevoked: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  accountDisabled: 'https://schemas.openid.net/secevent/risc/event-type/account-disabled',
  accountEnabled: 'https://schemas.openid.net/secevent/risc/event-type/account-enabled',
  accessTokenRevoked: 'urn:latch:secevent:access-token-revoked',
} as const

/** `typ` of SETs (RFC 8417 section 2.3); access tokens are `at+jwt`, so neither passes for the other. */
export const SECURITY_EVENT_TOKEN_TYPE = 'secevent+jwt'

/**
 * The claims of the Security Event Token (RFC 8417) that publishes one revocation, as
 * docs/revocation-feed.md specifies: `jti` is the cursor, `iat` the commit time, `sub_id` an SSF
 * subject identifier, and `events` exactly one event.
 */
export function securityEventClaims(record: RevocationRecord, issuer: string): JWTPayload {
  const user = { format: 'iss_sub', iss: issuer, sub: record.userId }
  const timestamp = epochSeconds(record.createdAt)
  const common = { event_timestamp: timestamp, latch_expires_at: epochSeconds(record.expiresAt) }
  const reason = { reason_admin: { en: record.reason } }
  const claims = (subject: Record<string, unknown>, type: string, event: Record<string, unknown>): JWTPayload => ({
    iss: issuer,
    jti: String(record.cursor),
    iat: timestamp,
    sub_id: subject,
    events: { [type]: { ...common, ...event } },
  })
  switch (record.kind) {
    case 'session':
      return claims({ format: 'complex', user, session: { format: 'opaque', id: record.sessionId } }, EVENT_TYPES.sessionRevoked, reason)
    case 'user_version':
      return claims(user, EVENT_TYPES.sessionRevoked, { ...reason, latch_min_ver: record.minVersion })
    case 'user_disabled':
      return claims(user, EVENT_TYPES.accountDisabled, reason)
    case 'user_enabled':
      return claims(user, EVENT_TYPES.accountEnabled, {})
    case 'access_token':
      return claims(user, EVENT_TYPES.accessTokenRevoked, { jti: record.jti })
  }
}

/** Signs a SET with the key that signs access tokens now, so edges verify both with one JWKS. */
export function signSecurityEvent(claims: JWTPayload, keys: KeyRing): Promise<string> {
  const signer = keys.active
  return new SignJWT(claims).setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: SECURITY_EVENT_TOKEN_TYPE }).sign(signer.privateKey)
}
