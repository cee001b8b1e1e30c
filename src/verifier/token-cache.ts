/**
 * A bounded cache of values that each expire at their own instant, least recently used out first.
 * A Map keeps insertion order, so re-inserting on a hit makes the first key the least recently
 * used: O(1) everywhere, no dependency. Expiry is checked against the caller's clock (the
 * verifier's, which tests can move), never a timer.
 */
export class ExpiringCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>()

  /** `capacity` 0 disables the cache. */
  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError('cache capacity must be a non-negative integer')
  }

  get size(): number {
    return this.#entries.size
  }

  /** The value stored under `key` if it has not expired at `now` (milliseconds). */
  get(key: string, now: number): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    if (entry.expiresAt < now) return undefined
    this.#entries.set(key, entry)
    return entry.value
  }

  /** Stores `value` until `expiresAt` (milliseconds), evicting the least recently used entry when full. */
  set(key: string, value: V, expiresAt: number): void {
    if (this.capacity === 0) return
    this.#entries.delete(key)
    if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(key, { value, expiresAt })
  }

  delete(key: string): void {
    this.#entries.delete(key)
  }

  clear(): void {
    this.#entries.clear()
  }
}
