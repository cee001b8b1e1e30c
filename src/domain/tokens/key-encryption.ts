import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { JWK } from 'jose'

const VERSION = 'v1'
const KEY_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16

/** A sealed private key could not be opened: another key-encryption key, or an altered row. */
export class KeyDecryptionError extends Error {
  override name = 'KeyDecryptionError'
}

/**
 * Seals private signing keys for storage with AES-256-GCM under the key-encryption key (KEK) from
 * configuration, so a copy of the database alone cannot sign tokens. The format is versioned
 * (`v1.<iv>.<ciphertext>.<tag>`, each part base64url) so the scheme can change without guessing,
 * and the key's `kid` is bound in as additional authenticated data: a row's ciphertext copied onto
 * another kid fails to open instead of silently signing under the wrong identity.
 *
 * @example
 * const encryption = new KeyEncryption(Buffer.from(process.env.KEK!, 'base64url'))
 * const sealed = encryption.seal('kid-1', privateJwk)
 * encryption.open('kid-1', sealed) // -> privateJwk
 */
export class KeyEncryption {
  readonly #key: Buffer

  constructor(keyEncryptionKey: Uint8Array) {
    if (keyEncryptionKey.byteLength !== KEY_BYTES) throw new RangeError(`the key-encryption key must be ${KEY_BYTES} bytes`)
    this.#key = Buffer.from(keyEncryptionKey)
  }

  seal(kid: string, privateJwk: JWK): string {
    // A fresh random 96-bit IV per seal: keys are sealed rarely, far below GCM's 2^32 random-IV bound.
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(Buffer.from(kid, 'utf8'))
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(privateJwk), 'utf8'), cipher.final()])
    return [VERSION, iv, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.')
  }

  /** @throws KeyDecryptionError, naming the kid only: never any key material. */
  open(kid: string, sealed: string): JWK {
    const parts = sealed.split('.')
    if (parts.length !== 4 || parts[0] !== VERSION) throw new KeyDecryptionError(`signing key ${kid}: unknown sealed-key format`)
    const [iv, ciphertext, tag] = parts.slice(1).map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer, Buffer]
    if (iv.byteLength !== IV_BYTES || tag.byteLength !== TAG_BYTES) throw new KeyDecryptionError(`signing key ${kid}: malformed sealed key`)
    let plaintext: string
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES })
      decipher.setAAD(Buffer.from(kid, 'utf8'))
      decipher.setAuthTag(tag)
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')
    } catch {
      throw new KeyDecryptionError(
        `signing key ${kid} cannot be decrypted: LATCH_KEY_ENCRYPTION_KEY is not the key it was sealed with, or the stored row was altered`,
      )
    }
    return JSON.parse(plaintext) as JWK
  }
}
