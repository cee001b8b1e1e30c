/**
 * Why the verifier cannot vouch for its revocation set right now: it has never been caught up
 * (since its start or the last reset), it has not been current for longer than `staleAfter`, or
 * its set overflowed.
 */
export type StaleReason = 'not_caught_up' | 'silent' | 'capacity'

export type FreshnessState = { fresh: true } | { fresh: false; reason: StaleReason }

/**
 * When the verifier last knew it had every revocation, and so whether it may answer alone.
 *
 * - It becomes *caught up* at the first heartbeat of a connection (the stream sends one right
 *   after the backlog) or a poll that returned everything; from then on every heartbeat, and every
 *   SET heard while caught up, moves `currentAt`, the instant its view was last known complete.
 * - A (re)connect ends being caught up: SETs of the backlog that follow do not move `currentAt`,
 *   only the connection's first heartbeat does. The set it holds stays valid as of `currentAt`,
 *   so a short reconnect that resumes from the cursor costs no availability: the bound below
 *   still holds.
 * - A reset (the feed could not resume from the cursor) drops the set: there is no `currentAt`
 *   until the next heartbeat.
 * - Fresh means: there is a `currentAt`, no more than `staleAfter` milliseconds ago, and the set
 *   did not overflow.
 *
 * Times are milliseconds from the verifier's clock (received-at, never the server's clock).
 */
export class Freshness {
  #currentAt: number | null = null
  #lastHeardAt: number | null = null
  #caughtUp = false

  constructor(readonly staleAfter: number) {
    if (!(staleAfter > 0)) throw new RangeError('staleAfter must be positive')
  }

  /** Last SET or heartbeat received, caught up or not. */
  get lastHeardAt(): number | null {
    return this.#lastHeardAt
  }

  /** The last instant the view was known complete. */
  get currentAt(): number | null {
    return this.#currentAt
  }

  get caughtUp(): boolean {
    return this.#caughtUp
  }

  /** A connection (or a poll after a failure) starts. */
  connecting(): void {
    this.#caughtUp = false
  }

  /** The feed said `reset`: the set was dropped and is being rebuilt. */
  reset(): void {
    this.#caughtUp = false
    this.#currentAt = null
  }

  /** A SET arrived at `now`. */
  heard(now: number): void {
    this.#lastHeardAt = now
    if (this.#caughtUp) this.#currentAt = now
  }

  /** A heartbeat, or a poll that returned everything, at `now` (for polls: when it was sent). */
  caughtUpAt(now: number): void {
    this.#lastHeardAt = Math.max(this.#lastHeardAt ?? now, now)
    this.#caughtUp = true
    this.#currentAt = now
  }

  state(now: number, overflowed: boolean): FreshnessState {
    if (overflowed) return { fresh: false, reason: 'capacity' }
    if (this.#currentAt === null) return { fresh: false, reason: 'not_caught_up' }
    if (now - this.#currentAt > this.staleAfter) return { fresh: false, reason: 'silent' }
    return { fresh: true }
  }
}
