import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JWK, type JWTVerifyGetKey } from 'jose'

export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256'] as const
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number]

interface SigningKey {
  kid: string
  alg: SigningAlgorithm
  privateKey: CryptoKey
  publicJwk: JWK
}

/**
 * The keys access tokens are signed with: one active key that signs, older keys kept only so
 * tokens they signed still verify until they expire. Only public halves are ever published.
 */
export class KeyRing {
  readonly #keys: readonly SigningKey[]
  readonly #verificationKeys: JWTVerifyGetKey
  readonly #jwks: { keys: JWK[] }

  private constructor(keys: SigningKey[]) {
    if (keys.length === 0) throw new RangeError('a key ring needs at least one key')
    this.#keys = keys
    this.#jwks = { keys: keys.map((key) => key.publicJwk) }
    this.#verificationKeys = createLocalJWKSet(this.#jwks)
  }

  /** Builds a ring from private JWKs; the first one signs. Each JWK must name its `alg`. */
  static async fromPrivateJwks(jwks: readonly JWK[]): Promise<KeyRing> {
    return new KeyRing(await Promise.all(jwks.map(importSigningKey)))
  }

  /** A fresh private JWK, for development and for key rotation. */
  static async generatePrivateJwk(alg: SigningAlgorithm): Promise<JWK> {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, crv: alg === 'EdDSA' ? 'Ed25519' : undefined })
    const jwk = await exportJWK(privateKey)
    return { ...jwk, alg, kid: await calculateJwkThumbprint(jwk), use: 'sig' }
  }

  get active(): Readonly<SigningKey> {
    return this.#keys[0]!
  }

  /** The algorithms a token may claim: exactly those of keys in the ring, so never `none` or HS*. */
  get algorithms(): SigningAlgorithm[] {
    return [...new Set(this.#keys.map((key) => key.alg))]
  }

  /** The public JWK Set, as served at /.well-known/jwks.json. */
  get jwks(): { keys: JWK[] } {
    return this.#jwks
  }

  /** Resolves a token's `kid` to a key of this ring; an unknown kid fails verification. */
  get verificationKeys(): JWTVerifyGetKey {
    return this.#verificationKeys
  }
}

async function importSigningKey(jwk: JWK): Promise<SigningKey> {
  const alg = jwk.alg as SigningAlgorithm
  if (!SIGNING_ALGORITHMS.includes(alg)) {
    throw new RangeError(`signing key has alg ${String(jwk.alg)}; expected one of ${SIGNING_ALGORITHMS.join(', ')}`)
  }
  if (typeof jwk.d !== 'string') throw new RangeError('signing keys must be private JWKs (with "d")')
  const { d: _private, ...publicParameters } = jwk
  const thumbprint = await calculateJwkThumbprint(publicParameters)
  const kid = jwk.kid ?? thumbprint
  const privateKey = (await importJWK(jwk, alg)) as CryptoKey
  const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.y ? { y: jwk.y } : {}), alg, kid, use: 'sig' }
  return { kid, alg, privateKey, publicJwk }
}
