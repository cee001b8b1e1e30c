import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JWK, type JWTVerifyGetKey } from 'jose'

export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256'] as const
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number]

export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly unknown[]).includes(value)
}

/** A signing key ready to use: the imported private key and its public JWK (never `d`). */
export interface SigningKey {
  kid: string
  alg: SigningAlgorithm
  privateKey: CryptoKey
  publicJwk: JWK
}

/**
 * The keys in force at one instant, immutable: the key that signs, and the published keys that
 * verify (the signer among them). A new ring replaces the old one as a whole, so readers never see
 * a half-updated set. Only public halves are ever published.
 */
export class KeyRing {
  readonly #signer: SigningKey
  readonly #published: readonly SigningKey[]
  readonly #verificationKeys: JWTVerifyGetKey
  readonly #jwks: { keys: JWK[] }

  /** `published` is the JWKS in order; the signer is always verifiable, so it is added if missing. */
  constructor(signer: SigningKey, published: readonly SigningKey[]) {
    this.#signer = signer
    this.#published = published.some((key) => key.kid === signer.kid) ? published : [signer, ...published]
    this.#jwks = { keys: this.#published.map((key) => key.publicJwk) }
    this.#verificationKeys = createLocalJWKSet(this.#jwks)
  }

  /** Builds a ring from private JWKs (static configuration): the first one signs, the rest only verify. */
  static async fromPrivateJwks(jwks: readonly JWK[]): Promise<KeyRing> {
    if (jwks.length === 0) throw new RangeError('a key ring needs at least one key')
    const keys = await Promise.all(jwks.map(importSigningKey))
    return new KeyRing(keys[0]!, keys)
  }

  /** A fresh private JWK whose kid is its RFC 7638 thumbprint, for development and for key rotation. */
  static async generatePrivateJwk(alg: SigningAlgorithm): Promise<JWK> {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, crv: alg === 'EdDSA' ? 'Ed25519' : undefined })
    const jwk = await exportJWK(privateKey)
    return { ...jwk, alg, kid: await calculateJwkThumbprint(jwk), use: 'sig' }
  }

  /** The key that signs now. */
  get active(): Readonly<SigningKey> {
    return this.#signer
  }

  /** The algorithms a token may claim: exactly those of published keys, so never `none` or HS*. */
  get algorithms(): SigningAlgorithm[] {
    return [...new Set(this.#published.map((key) => key.alg))]
  }

  /** The public JWK Set, as served at /.well-known/jwks.json. */
  get jwks(): { keys: JWK[] } {
    return this.#jwks
  }

  get kids(): string[] {
    return this.#published.map((key) => key.kid)
  }

  has(kid: string): boolean {
    return this.#published.some((key) => key.kid === kid)
  }

  /** Resolves a token's `kid` to a published key; an unknown kid fails verification. */
  get verificationKeys(): JWTVerifyGetKey {
    return this.#verificationKeys
  }
}

/** Imports a private JWK (which must name its `alg`); the kid defaults to the RFC 7638 thumbprint. */
export async function importSigningKey(jwk: JWK): Promise<SigningKey> {
  const alg = jwk.alg
  if (!isSigningAlgorithm(alg)) {
    throw new RangeError(`signing key has alg ${String(jwk.alg)}; expected one of ${SIGNING_ALGORITHMS.join(', ')}`)
  }
  if (typeof jwk.d !== 'string') throw new RangeError('signing keys must be private JWKs (with "d")')
  const publicJwk = publicHalf(jwk)
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk))
  const privateKey = (await importJWK(jwk, alg)) as CryptoKey
  return { kid, alg, privateKey, publicJwk: { ...publicJwk, kid } }
}

/** The public parameters of a private JWK, as published: never `d`. */
export function publicHalf(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.y ? { y: jwk.y } : {}), alg: jwk.alg, ...(jwk.kid ? { kid: jwk.kid } : {}), use: 'sig' }
}
