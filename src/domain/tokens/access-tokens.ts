import { randomUUID } from 'node:crypto'
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose'
import { epochSeconds, type Clock } from '../clock.js'
import { InvalidTokenError } from '../errors.js'
import type { KeyRing } from './key-ring.js'

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
  keyRing: KeyRing
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
    const { keyRing, issuer, lifetimeSeconds, clock } = this.options
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
    const signer = keyRing.active
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: signer.alg, typ: 'at+jwt', kid: signer.kid })
      .sign(signer.privateKey)
    return { token, expiresIn: lifetimeSeconds, claims }
  }

  /**
   * Verifies signature, `typ`, issuer, audience and lifetime. Only algorithms of keys in the ring
   * are accepted, so `alg: none` and HS*-with-a-public-key confusion cannot pass, and a `kid` not
   * in the ring fails.
   */
  async verify(token: string): Promise<AccessTokenClaims> {
    const { keyRing, issuer, audience, clock, leewaySeconds = 5 } = this.options
    try {
      const { payload } = await jwtVerify(token, keyRing.verificationKeys, {
        issuer,
        audience,
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
