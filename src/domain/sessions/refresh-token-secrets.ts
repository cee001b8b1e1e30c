import { createHash, createHmac, randomBytes } from 'node:crypto'

const PREFIX = 'latch_rt_'
const SECRET_BYTES = 32
const TOKEN_PATTERN = /^latch_rt_[A-Za-z0-9_-]{43}$/

/** A refresh token's secret bytes and the two forms derived from them. */
export interface RefreshTokenSecret {
  /** What the client holds. Never stored, never logged. */
  readonly token: string
  /** SHA-256 of the secret, base64url: the only form that reaches the database. */
  readonly hash: string
  readonly bytes: Buffer
}

/**
 * Refresh tokens are 256-bit random secrets with a recognisable prefix (so secret scanners can
 * find leaked ones). A token's successor is not random: it is HMAC(key, secret). A client that
 * repeats a refresh inside the grace window (two tabs, a retried request) therefore gets the very
 * same successor back, recomputed from what it presented, and the family never forks, while the
 * database still holds hashes only. Without the server key a successor cannot be predicted.
 */
export class RefreshTokenSecrets {
  readonly #successorKey: Buffer

  constructor(successorKey: Uint8Array) {
    if (successorKey.byteLength < 32) throw new RangeError('the refresh token key must be at least 32 bytes')
    this.#successorKey = Buffer.from(successorKey)
  }

  mint(): RefreshTokenSecret {
    return fromBytes(randomBytes(SECRET_BYTES))
  }

  successorOf(secret: RefreshTokenSecret): RefreshTokenSecret {
    return fromBytes(createHmac('sha256', this.#successorKey).update(secret.bytes).digest())
  }

  /** Returns null for anything that is not a well-formed Latch refresh token. */
  parse(token: string): RefreshTokenSecret | null {
    if (!TOKEN_PATTERN.test(token)) return null
    const bytes = Buffer.from(token.slice(PREFIX.length), 'base64url')
    // Reject non-canonical encodings so one secret has exactly one token string.
    if (bytes.byteLength !== SECRET_BYTES || bytes.toString('base64url') !== token.slice(PREFIX.length)) return null
    return fromBytes(bytes)
  }
}

function fromBytes(bytes: Buffer): RefreshTokenSecret {
  return {
    token: PREFIX + bytes.toString('base64url'),
    hash: createHash('sha256').update(bytes).digest('base64url'),
    bytes,
  }
}
