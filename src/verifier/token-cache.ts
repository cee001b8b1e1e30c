/**
 * A bounded cache of values that each expire at their own instant (`expiresAt(value)`,
 * milliseconds), least recently used out first. A Map keeps insertion order, so re-inserting on a
 * hit makes the first key the least recently used: O(1) everywhere, no dependency, and no wrapper
 * object per entry. Expiry is checked against the caller's clock (the verifier's, which tests can
 * move), never a timer.
 */
export class ExpiringCache<V> {
  readonly #entries = new Map<string, V>()
  readonly #expiresAt: (value: V) => number

  /** `capacity` 0 disables the cache. */
  constructor(
    readonly capacity: number,
    expiresAt: (value: V) => number,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError('cache capacity must be a non-negative integer')
    this.#expiresAt = expiresAt
  }

  get size(): number {
    return this.#entries.size
  }

  /** The value stored under `key` if it has not expired at `now` (milliseconds). */
  get(key: string, now: number): V | undefined {
    const value = this.#entries.get(key)
    if (value === undefined) return undefined
    this.#entries.delete(key)
    if (this.#expiresAt(value) < now) return undefined
    this.#entries.set(key, value)
    return value
  }

  /** Stores `value` until its expiry, evicting the least recently used entry when full. */
  set(key: string, value: V): void {
    if (this.capacity === 0) return
    this.#entries.delete(key)
    if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(key, value)
  }

  delete(key: string): void {
    this.#entries.delete(key)
  }

  clear(): void {
    this.#entries.clear()
  }
}

/**
 * The exact-token cache of the verifier: verified claims by token string, until `exp` plus the
 * leeway, least recently used out first, with a doorkeeper for admission (as in TinyLFU): a token
 * is kept only from its second verification on. The first one leaves just a 32-bit fingerprint in
 * a fixed array, so a stream of tokens seen once (most of them, on a busy edge) never fills the
 * cache, never evicts the tokens clients do repeat, and creates no long-lived garbage for the
 * collector. A fingerprint collision can only admit a token one verification early: it is a
 * verified token either way.
 */
export class TokenCache<V> {
  readonly #cache: ExpiringCache<V>
  readonly #seen: Uint32Array
  readonly #mask: number

  constructor(capacity: number, expiresAt: (value: V) => number) {
    this.#cache = new ExpiringCache(capacity, expiresAt)
    let slots = 1024
    while (slots < capacity * 2 && slots < 1 << 22) slots *= 2
    this.#seen = new Uint32Array(capacity === 0 ? 1 : slots)
    this.#mask = this.#seen.length - 1
  }

  get capacity(): number {
    return this.#cache.capacity
  }

  get size(): number {
    return this.#cache.size
  }

  get(token: string, now: number): V | undefined {
    return this.#cache.get(token, now)
  }

  /** After a successful verification: stores `value` if `token` was verified before, else remembers having seen it. */
  offer(token: string, value: V): void {
    if (this.#cache.capacity === 0) return
    const print = fingerprint(token)
    const slot = print & this.#mask
    if (this.#seen[slot] === print) {
      this.#seen[slot] = 0
      this.#cache.set(token, value)
    } else {
      this.#seen[slot] = print
    }
  }
}

/**
 * FNV-1a over the last 32 characters: the end of a JWS is its signature, which differs between
 * any two tokens; never 0 (0 marks an empty slot).
 */
function fingerprint(token: string): number {
  let hash = 0x811c9dc5
  for (let index = Math.max(0, token.length - 32); index < token.length; index++) {
    hash ^= token.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) || 1
}
