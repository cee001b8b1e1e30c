import { randomUUID } from 'node:crypto'
import { SignJWT, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose'
import { epochSeconds, type Clock } from '../clock.js'
import { InvalidTokenError } from '../errors.js'
import type { KeyRingSource } from './key-ring-source.js'

/** RFC 9068 claims plus Latch's `sid` (session) and `ver` (refreshTokenVersion at issue). */
export interface AccessTokenClaims {
  iss: string
  sub: string
  aud: string
  exp: number
  iat: number
  jti: string
  client_id: string
  scope: string
  sid: string
  ver: number
}

export interface AccessTokenSubject {
  userId: string
  sessionId: string
  version: number
  clientId: string
  scope: string
  audience: string
}

export interface AccessTokensOptions {
  /** Consulted on every call, so a rotation takes effect without rebuilding anything. */
  keys: KeyRingSource
  issuer: string
  /** The audience of Latch's own API: tokens for other audiences are not accepted by verify(). */
  audience: string
  lifetimeSeconds: number
  clock: Clock
  /** Tolerated clock skew when checking exp/iat, in seconds. */
  leewaySeconds?: number
}

export interface IssuedAccessToken {
  token: string
  expiresIn: number
  claims: AccessTokenClaims
}

export class AccessTokens {
  constructor(private readonly options: AccessTokensOptions) {}

  get lifetimeSeconds(): number {
    return this.options.lifetimeSeconds
  }

  async issue(subject: AccessTokenSubject): Promise<IssuedAccessToken> {
    const { keys, issuer, lifetimeSeconds, clock } = this.options
    const iat = epochSeconds(clock.now())
    const claims: AccessTokenClaims = {
      iss: issuer,
      sub: subject.userId,
      aud: subject.audience,
      exp: iat + lifetimeSeconds,
      iat,
      jti: randomUUID(),
      client_id: subject.clientId,
      scope: subject.scope,
      sid: subject.sessionId,
      ver: subject.version,
    }
    const signer = keys.current().active
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: signer.alg, typ: 'at+jwt', kid: signer.kid })
      .sign(signer.privateKey)
    return { token, expiresIn: lifetimeSeconds, claims }
  }

  /**
   * Verifies signature, `typ`, issuer, audience and lifetime. Only algorithms of keys in the ring
   * are accepted, so `alg: none` and HS*-with-a-public-key confusion cannot pass, and a `kid` not
   * in the ring fails. The audience is Latch's own unless `options.audience` names the ones to
   * accept instead (introspection accepts every registered client's); an empty list accepts none.
   * A kid this replica has not seen yet triggers one (rate-limited) reload of the keys first:
   * another replica may have added a key this one has not picked up yet.
   */
  async verify(token: string, options: { audience?: string | readonly string[] } = {}): Promise<AccessTokenClaims> {
    const { keys, issuer, clock, leewaySeconds = 5 } = this.options
    const audience = options.audience ?? this.options.audience
    try {
      let keyRing = keys.current()
      const { kid } = protectedHeader(token)
      if (typeof kid === 'string' && !keyRing.has(kid) && (await keys.refreshForUnknownKid(kid))) keyRing = keys.current()
      const { payload } = await jwtVerify(token, keyRing.verificationKeys, {
        issuer,
        audience: typeof audience === 'string' ? audience : [...audience],
        algorithms: keyRing.algorithms,
        typ: 'at+jwt',
        currentDate: clock.now(),
        clockTolerance: leewaySeconds,
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'sid', 'ver', 'client_id'],
      })
      if (typeof payload.sid !== 'string' || !Number.isInteger(payload.ver) || typeof payload.sub !== 'string') {
        throw new InvalidTokenError('access token claims have the wrong types')
      }
      return payload as unknown as AccessTokenClaims
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error
      if (error instanceof joseErrors.JOSEError) throw new InvalidTokenError(`access token rejected: ${error.code}`)
      throw error
    }
  }
}

/** jose's decodeProtectedHeader throws a plain TypeError for a malformed token: that is a client fault, not a bug. */
function protectedHeader(token: string): ReturnType<typeof decodeProtectedHeader> {
  try {
    return decodeProtectedHeader(token)
  } catch {
    throw new InvalidTokenError('access token is not a well-formed JWS')
  }
}
