import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

const PREFIX = 'latch_cs_'

/**
 * Client secrets are 256-bit random values with a recognisable prefix (for secret scanners). Only
 * their SHA-256 is stored: with that much entropy there is nothing to brute-force, so a slow
 * password hash would only cost time on every token request.
 */
export function mintClientSecret(): { secret: string; hash: string } {
  const secret = PREFIX + randomBytes(32).toString('base64url')
  return { secret, hash: hashClientSecret(secret) }
}

export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url')
}

/** Compares digests in constant time, so the comparison leaks nothing about the stored hash. */
export function clientSecretMatches(presented: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, 'base64url')
  const actual = createHash('sha256').update(presented, 'utf8').digest()
  return expected.byteLength === actual.byteLength && timingSafeEqual(expected, actual)
}
