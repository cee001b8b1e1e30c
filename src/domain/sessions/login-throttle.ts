import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import { TooManyAttemptsError } from '../errors.js'

export interface LoginThrottleSettings {
  /** Failed logins for one email from one IP address within the window; 0 turns this count off. */
  maxFailuresPerAccount: number
  /** Failed logins from one IP address within the window, whatever the email; 0 turns this count off. */
  maxFailuresPerAddress: number
  /** The window, in seconds; a count that reaches its limit blocks for one more window. */
  windowSeconds: number
}

export interface LoginAttempt {
  /** Normalised, so that case variants of one address share a count. */
  email: string
  ip: string | null
}

/**
 * Slows online password guessing with the two counts of OWASP's authentication cheat sheet (and
 * rate-limiter-flexible's "login endpoint protection" recipe):
 * - failures for one email from one IP address: a few guesses, then that pair waits. Keyed by the
 *   pair and not by the email alone, so that nobody can lock a victim out by failing on purpose
 *   from an address of their own; a correct password starts the pair's count again.
 * - failures from one IP address over any emails: a spray of common passwords across accounts.
 * An attempt takes its point before the password is checked and gives it back when the password
 * is right, so that parallel guesses cannot all slip past the check before the first of them
 * fails, and a blocked caller costs no argon2 verification. Unknown emails count exactly like
 * known ones: being blocked says nothing about whether an account exists.
 * The counts live in this process's memory (entries leave when their window ends); several
 * replicas each keep their own, so N replicas allow N times the guesses.
 */
export class LoginThrottle {
  readonly #byAccount: RateLimiterMemory | null
  readonly #byAddress: RateLimiterMemory | null

  constructor(settings: LoginThrottleSettings) {
    const limiter = (points: number) =>
      points > 0 ? new RateLimiterMemory({ points, duration: settings.windowSeconds, blockDuration: settings.windowSeconds }) : null
    this.#byAccount = limiter(settings.maxFailuresPerAccount)
    this.#byAddress = limiter(settings.maxFailuresPerAddress)
  }

  /** Counts the attempt; throws TooManyAttemptsError, before any password is checked, when a count is spent. */
  async attempt({ email, ip }: LoginAttempt): Promise<void> {
    const address = ip ?? 'unknown'
    await spend(this.#byAddress, address, `login: too many failed logins from ${address}`)
    await spend(this.#byAccount, accountKey(email, address), `login: too many failed logins for one email from ${address}`)
  }

  /** The password was right: the attempt was no guess. */
  async succeeded({ email, ip }: LoginAttempt): Promise<void> {
    const address = ip ?? 'unknown'
    await this.#byAccount?.delete(accountKey(email, address))
    await this.#byAddress?.reward(address, 1)
  }
}

function accountKey(email: string, address: string): string {
  return `${address}\u0000${email}`
}

async function spend(limiter: RateLimiterMemory | null, key: string, detail: string): Promise<void> {
  if (!limiter) return
  try {
    await limiter.consume(key)
  } catch (rejection) {
    // rate-limiter-flexible rejects with its result (not an Error) when the points are spent.
    if (rejection instanceof RateLimiterRes) throw new TooManyAttemptsError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)), detail)
    throw rejection
  }
}
