import { randomBytes } from 'node:crypto'
import argon2 from 'argon2'

/**
 * OWASP's minimum for argon2id: 19 MiB, 2 iterations, parallelism 1. argon2 runs on libuv's
 * thread pool, so hashing never blocks the event loop.
 */
export const ARGON2_PARAMETERS: HashParameters = {
  type: argon2.argon2id,
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
}

export type HashParameters = argon2.HashOptions & { raw?: false }

export class PasswordHasher {
  /**
   * A hash of a random password with the live parameters. Verifying against it when an email is
   * unknown costs what a real verification costs, so response time does not reveal which emails
   * have accounts.
   */
  readonly #dummyHash: Promise<string>

  constructor(private readonly parameters: HashParameters = ARGON2_PARAMETERS) {
    this.#dummyHash = argon2.hash(randomBytes(32).toString('base64url'), parameters)
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password.normalize('NFC'), this.parameters)
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password.normalize('NFC'))
    } catch {
      // A malformed stored hash must read as "wrong password", never as a server error.
      return false
    }
  }

  /** Burns one verification's worth of time for an unknown account. Always false. */
  async verifyNothing(password: string): Promise<false> {
    await this.verify(await this.#dummyHash, password)
    return false
  }

  /** True when the stored hash was made with weaker parameters than today's. */
  needsRehash(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, this.parameters)
    } catch {
      return false
    }
  }
}
