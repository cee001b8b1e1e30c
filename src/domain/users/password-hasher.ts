import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
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

/**
 * How many argon2 jobs may run at once: one per CPU, and always fewer than libuv's pool has
 * threads. Each job keeps one core busy for tens of milliseconds, so more in flight than cores adds
 * latency, not throughput; and jobs handed to libuv beyond its pool's size wait in its queue in
 * front of everything else that needs the pool (file system, DNS, jose's WebCrypto verification
 * of access tokens), which is how a login flood used to stall unrelated requests. Logins beyond
 * the bound wait here instead, on the event loop, where waiting costs nothing.
 */
export function argon2Concurrency(threadPoolSize: number, cpus = availableParallelism()): number {
  return Math.max(1, Math.min(cpus, threadPoolSize - 1))
}

export interface PasswordHasherOptions {
  /** At most this many hashes and verifications at once (see argon2Concurrency); by default for libuv's default pool of 4. */
  concurrency?: number
}

export class PasswordHasher {
  /**
   * A hash of a random password with the live parameters. Verifying against it when an email is
   * unknown costs what a real verification costs, so response time does not reveal which emails
   * have accounts.
   */
  readonly #dummyHash: Promise<string>
  readonly #slots: Semaphore

  constructor(
    private readonly parameters: HashParameters = ARGON2_PARAMETERS,
    options: PasswordHasherOptions = {},
  ) {
    this.#slots = new Semaphore(options.concurrency ?? argon2Concurrency(4))
    this.#dummyHash = this.#slots.run(() => argon2.hash(randomBytes(32).toString('base64url'), parameters))
  }

  /** argon2 jobs started and not yet finished: never more than the concurrency bound. */
  get running(): number {
    return this.#slots.running
  }

  hash(password: string): Promise<string> {
    return this.#slots.run(() => argon2.hash(password.normalize('NFC'), this.parameters))
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await this.#slots.run(() => argon2.verify(hash, password.normalize('NFC')))
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

/** A counting semaphore, first come first served. */
class Semaphore {
  #running = 0
  readonly #waiting: (() => void)[] = []

  constructor(private readonly limit: number) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`concurrency must be a positive integer, not ${limit}`)
  }

  get running(): number {
    return this.#running
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running < this.limit) this.#running++
    else await new Promise<void>((resolve) => this.#waiting.push(resolve))
    try {
      return await job()
    } finally {
      // Hand the slot straight to the next in line (running stays the same), or free it.
      const next = this.#waiting.shift()
      if (next) next()
      else this.#running--
    }
  }
}
