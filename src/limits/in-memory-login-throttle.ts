import { isIPv6 } from 'node:net'
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import { TooManyAttemptsError } from '../domain/errors.js'
import type { LoginAttempt, LoginThrottle } from '../domain/ports.js'

export interface LoginThrottleSettings {
  /** Failed logins for one email from one IP address within the window; 0 turns this count off. */
  maxFailuresPerAccount: number
  /** Failed logins from one IP address within the window, whatever the email; 0 turns this count off. */
  maxFailuresPerAddress: number
  /** The window, in seconds; a count that reaches its limit blocks for one more window. */
  windowSeconds: number
}

/**
 * The login throttle (see LoginThrottle in domain/ports.ts for the rules) with rate-limiter-flexible
 * counting in this process's memory; entries leave when their window ends. Several replicas each
 * keep their own counts, so N replicas allow N times the guesses.
 */
export class InMemoryLoginThrottle implements LoginThrottle {
  readonly #byAccount: RateLimiterMemory | null
  readonly #byAddress: RateLimiterMemory | null

  constructor(settings: LoginThrottleSettings) {
    const limiter = (points: number) =>
      points > 0 ? new RateLimiterMemory({ points, duration: settings.windowSeconds, blockDuration: settings.windowSeconds }) : null
    this.#byAccount = limiter(settings.maxFailuresPerAccount)
    this.#byAddress = limiter(settings.maxFailuresPerAddress)
  }

  async attempt({ email, ip }: LoginAttempt): Promise<void> {
    // No address (the connection is already gone): nothing to count it against.
    if (ip === null) return
    const address = addressKey(ip)
    // The pair first: a caller retrying a pair that is blocked already spends none of the
    // address's count, which everyone behind the same NAT shares.
    await spend(this.#byAccount, pairKey(address, email), `login: too many failed logins for one email from ${address}`)
    await spend(this.#byAddress, address, `login: too many failed logins from ${address}`)
  }

  async succeeded({ email, ip }: LoginAttempt): Promise<void> {
    if (ip === null) return
    const address = addressKey(ip)
    await this.#byAccount?.delete(pairKey(address, email))
    await this.#byAddress?.reward(address, 1)
  }
}

function pairKey(address: string, email: string): string {
  return `${address}\u0000${email}`
}

/**
 * What one client's address is, for counting: an IPv4 address as it is (also when IPv4-mapped,
 * `::ffff:203.0.113.7`), an IPv6 address by its /64, since one subscriber holds a whole /64 and
 * could otherwise take a fresh address for every guess.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)
  if (mapped) return mapped[1]!
  if (!isIPv6(ip)) return ip
  const [head = '', tail] = ip.split('::') as [string, string | undefined]
  const groups = (part: string | undefined) => (part ? part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group])) : [])
  const front = groups(head)
  const back = tail === undefined ? [] : groups(tail)
  const all = [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back]
  return `${all.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16)).join(':')}::/64`
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
