import { errors as joseErrors, jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose'
import { invalidToken, stale, VerifierError } from './errors.js'
import { ASYMMETRIC_ALGORITHMS, isKeySetUnavailable } from './security-event.js'

/**
 * The claims of a Latch access token (RFC 9068 plus `sid`, the session, and `ver`, the user's
 * version when the session started). Frozen: one object may serve many requests from the cache.
 */
export interface AccessTokenClaims {
  readonly iss: string
  readonly sub: string
  readonly aud: string | readonly string[]
  readonly exp: number
  readonly iat?: number
  readonly jti: string
  readonly sid: string
  readonly ver: number
  readonly client_id?: string
  readonly scope?: string
  readonly [claim: string]: unknown
}

export interface AccessTokenRules {
  issuer: string
  audience: string | readonly string[]
  /** Tolerated clock skew on `exp` (and `nbf`, `iat`), in seconds. */
  leewaySeconds: number
  /** Narrows the asymmetric algorithms further; the key's own algorithm must match as well. */
  algorithms?: readonly string[]
}

/** Longer than any access token Latch issues, far shorter than anything abusive. */
const MAX_TOKEN_LENGTH = 16_384

/**
 * Verifies an access token locally: a signature by a key of the JWKS under an algorithm that key
 * allows (asymmetric only: `none` and HS* never pass, whatever the header says), header `typ:
 * at+jwt` (so a SET or an ID token is never taken for an access token), `iss`, `aud`, `exp`
 * within the leeway, and `sub`, `sid`, `ver`, `jti`, `exp` present with the right types.
 * Throws a VerifierError (`invalid_token`, or `stale` when the keys cannot be fetched).
 */
export function verifyAccessToken(token: string, keys: JWTVerifyGetKey, rules: AccessTokenRules, now?: Date): Promise<AccessTokenClaims> {
  return accessTokenVerifier(keys, rules)(token, now)
}

/**
 * {@link verifyAccessToken} with its rules prepared once: the hot path of the verifier. Without
 * `now`, jose reads the system clock itself and the options object is shared by every call.
 */
export function accessTokenVerifier(keys: JWTVerifyGetKey, rules: AccessTokenRules): (token: string, now?: Date) => Promise<AccessTokenClaims> {
  const options: JWTVerifyOptions = Object.freeze({
    issuer: rules.issuer,
    audience: typeof rules.audience === 'string' ? rules.audience : [...rules.audience],
    typ: 'at+jwt',
    algorithms: [...(rules.algorithms ?? ASYMMETRIC_ALGORITHMS)],
    clockTolerance: rules.leewaySeconds,
    requiredClaims: ['sub', 'sid', 'ver', 'jti', 'exp'],
  })
  const accept = ({ payload }: { payload: Record<string, unknown> }): AccessTokenClaims => {
    const { sub, sid, ver, jti } = payload
    if (!isNonEmptyString(sub) || !isNonEmptyString(sid) || !isNonEmptyString(jti) || !Number.isSafeInteger(ver) || (ver as number) < 0) {
      throw invalidToken('claims', 'The access token has claims of the wrong type.')
    }
    if (Array.isArray(payload.aud)) Object.freeze(payload.aud)
    return Object.freeze(payload) as AccessTokenClaims
  }
  const reject = (error: unknown): never => {
    throw error instanceof VerifierError ? error : refusal(error)
  }
  return (token, now) => {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return Promise.reject(invalidToken('malformed', 'The access token is malformed.'))
    return jwtVerify(token, keys, now === undefined ? options : { ...options, currentDate: now }).then(accept, reject)
  }
}

function refusal(error: unknown): VerifierError {
  if (error instanceof joseErrors.JWTExpired) return invalidToken('expired', 'The access token has expired.')
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const what = error.claim === 'typ' ? 'is not an access token (typ)' : `has a missing or unacceptable "${error.claim}" claim`
    return invalidToken('claims', `The access token ${what}.`)
  }
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JOSEAlgNotAllowed ||
    error instanceof joseErrors.JOSENotSupported ||
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys
  ) {
    return invalidToken('signature', 'The access token signature does not verify against the issuer keys.')
  }
  if (isKeySetUnavailable(error)) {
    return stale('keys_unavailable', "The issuer's signing keys cannot be fetched right now.")
  }
  return invalidToken('malformed', 'The access token is malformed.')
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0
}
