import { KeyObject, randomUUID, sign } from 'node:crypto'
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose'
import { epochSeconds, type Clock } from '../clock.js'
import { TokenCache } from '../../verifier/token-cache.js'
import { InvalidTokenError } from '../errors.js'
import type { KeyRing, SigningKey } from './key-ring.js'
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
  /** Most tokens remembered as verified (for Latch's own audience); 0 verifies every time. */
  cacheSize?: number
}

export interface IssuedAccessToken {
  token: string
  expiresIn: number
  claims: AccessTokenClaims
}

/** A token verified before, and the key that verified it (which must still be in the ring). */
interface VerifiedToken {
  claims: AccessTokenClaims
  kid: string
}

export class AccessTokens {
  /**
   * A client sends one access token for minutes, with every Bearer request. Its signature cannot
   * change, so a token verified twice is remembered (by its exact string, until exp plus the
   * leeway) and not verified again: a hit costs a Map lookup instead of an Ed25519 verification
   * on the thread pool. Everything that can change is still checked on every request: the clock
   * (expiry), the ring (a removed key takes its tokens with it) and, in authenticate(), live state.
   * The cache is the edge verifier's (src/verifier/token-cache.ts), whose doorkeeper keeps tokens
   * seen once from filling it.
   */
  readonly #verified: TokenCache<VerifiedToken>

  constructor(private readonly options: AccessTokensOptions) {
    const leewayMs = (options.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS) * 1000
    this.#verified = new TokenCache(options.cacheSize ?? 10_000, ({ claims }) => claims.exp * 1000 + leewayMs - 1)
  }

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
    const token = signCompact(keys.current().active, claims)
    return { token, expiresIn: lifetimeSeconds, claims }
  }

  /**
   * Verifies signature, `typ`, issuer, audience and lifetime. Only algorithms of keys in the ring
   * are accepted, so `alg: none` and HS*-with-a-public-key confusion cannot pass, and a `kid` not
   * in the ring fails. The audience is Latch's own unless `options.audience` names the ones to
   * accept instead (introspection accepts every registered client's); an empty list accepts none.
   * A kid this replica has not seen yet triggers one (rate-limited) reload of the keys and a second
   * attempt: another replica may have added a key this one has not picked up yet.
   */
  async verify(token: string, options: { audience?: string | readonly string[] } = {}): Promise<AccessTokenClaims> {
    const { keys, clock } = this.options
    const ownAudience = options.audience === undefined
    const audience = options.audience ?? this.options.audience
    try {
      const keyRing = keys.current()
      if (ownAudience) {
        const known = this.#verified.get(token, clock.now().getTime())
        if (known && keyRing.has(known.kid)) return known.claims
      }
      try {
        const verified = await this.#verifyWith(keyRing, token, audience)
        if (ownAudience && verified.kid) this.#verified.offer(token, verified)
        return verified.claims
      } catch (error) {
        // The header is decoded only when verification failed, not before every verification
        // (~10 µs of every Bearer request): a token naming a kid the ring lacks always fails here
        // (no matching key, or an algorithm the ring does not have yet), and then reloads.
        if (!(error instanceof joseErrors.JOSEError)) throw error
        const { kid } = protectedHeader(token)
        if (typeof kid !== 'string' || keyRing.has(kid) || !(await keys.refreshForUnknownKid(kid))) throw error
        return (await this.#verifyWith(keys.current(), token, audience)).claims
      }
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error
      if (error instanceof joseErrors.JOSEError) throw new InvalidTokenError(`access token rejected: ${error.code}`)
      throw error
    }
  }

  async #verifyWith(keyRing: KeyRing, token: string, audience: string | readonly string[]): Promise<VerifiedToken> {
    const { issuer, clock, leewaySeconds = DEFAULT_LEEWAY_SECONDS } = this.options
    const { payload, protectedHeader: header } = await jwtVerify(token, keyRing.verificationKeys, {
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
    return {
      // Frozen: one object may serve many requests from the cache.
      claims: Object.freeze(payload) as unknown as AccessTokenClaims,
      // Latch's tokens always name their kid; a token without one (jose lets a lone key of its
      // algorithm verify it) is never remembered.
      kid: header.kid ?? '',
    }
  }
}

const DEFAULT_LEEWAY_SECONDS = 5

/**
 * A compact JWS (RFC 7515) of the claims, signed with node:crypto on the event loop rather than
 * with jose's SignJWT. jose 6 signs through WebCrypto, whose jobs run on libuv's thread pool: the
 * pool argon2 hashes passwords on. During a login flood every token signature queued behind ~28 ms
 * argon2 jobs, and /refresh's p99 was 20× its idle figure. A synchronous Ed25519 signature costs
 * tens of microseconds, less CPU than the WebCrypto round trip (about half, measured), and waits
 * for nothing. The output is byte for byte what SignJWT writes (the same header and claims JSON;
 * Ed25519 is deterministic, and ES256 uses JOSE's r||s encoding); verification stays with jose.
 */
function signCompact(signer: Readonly<SigningKey>, claims: AccessTokenClaims): string {
  const { key, header } = prepared(signer)
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
  const data = Buffer.from(input)
  const signature = signer.alg === 'EdDSA' ? sign(null, data, key) : sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

/** Per signing key, once: its node:crypto form and its encoded protected header. */
const preparedSigners = new WeakMap<Readonly<SigningKey>, { key: KeyObject; header: string }>()
function prepared(signer: Readonly<SigningKey>): { key: KeyObject; header: string } {
  let entry = preparedSigners.get(signer)
  if (!entry) {
    const header = Buffer.from(JSON.stringify({ alg: signer.alg, typ: 'at+jwt', kid: signer.kid })).toString('base64url')
    entry = { key: KeyObject.from(signer.privateKey), header }
    preparedSigners.set(signer, entry)
  }
  return entry
}

/** jose's decodeProtectedHeader throws a plain TypeError for a malformed token: that is a client fault, not a bug. */
function protectedHeader(token: string): ReturnType<typeof decodeProtectedHeader> {
  try {
    return decodeProtectedHeader(token)
  } catch {
    throw new InvalidTokenError('access token is not a well-formed JWS')
  }
}
