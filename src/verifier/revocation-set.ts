import { compareCursors } from './cursor.js'

/**
 * One entry of the revocation feed, decoded from its Security Event Token (see
 * docs/revocation-feed.md, "What is revoked"). Times are milliseconds since the epoch.
 */
export type Revocation =
  | { kind: 'session'; cursor: string; sub: string; sid: string; reason: string | null; expiresAt: number }
  | { kind: 'user_version'; cursor: string; sub: string; minVer: number; reason: string | null; expiresAt: number }
  | { kind: 'user_disabled'; cursor: string; sub: string; reason: string | null; expiresAt: number }
  | { kind: 'user_enabled'; cursor: string; sub: string; reason: string | null; expiresAt: number }
  | { kind: 'access_token'; cursor: string; sub: string; jti: string; reason: string | null; expiresAt: number }

export type RevocationKind = Revocation['kind']

/** The claims of an access token that the revocation set looks at. */
export interface RevocableClaims {
  sub: string
  sid: string
  ver: number
  jti: string
}

/** What applying an entry did. `overflow`: the set was full and the entry was NOT stored. */
export type ApplyResult = 'applied' | 'expired' | 'overflow'

export interface RevocationSetOptions {
  /** Hard cap on stored entries (revoked sids + subjects with a min_ver + disabled subjects + revoked jtis). */
  maxEntries: number
  /**
   * Milliseconds an entry is kept past its `latch_expires_at`: the verifier's own leeway on `exp`,
   * so that a verifier more lenient than Latch never accepts a token its entry no longer covers.
   */
  graceMs: number
}

/** A revoked session's or token's entry: until when it matters. */
type Until = number

/**
 * The in-memory revocation state of one edge, built from the feed in cursor order:
 *
 * | entry | rejects |
 * |---|---|
 * | revoked sid | tokens with that `sid` |
 * | min_ver of a sub | tokens of that `sub` with `ver` below it |
 * | disabled sub | every token of that `sub`, until a later `user_enabled` lifts it |
 * | revoked jti | the token with that `jti` |
 *
 * Each entry leaves when its `latch_expires_at` (plus `graceMs`) has passed: lazily when a check
 * meets it, and at every `sweep`. The set never holds more than `maxEntries`; an entry that would
 * exceed the cap is refused and the set marks itself `overflowed` (it can no longer vouch that
 * it knows every revocation) until it is cleared by a reset. It never drops an entry to make room.
 */
export class RevocationSet {
  readonly #options: RevocationSetOptions
  readonly #sessions = new Map<string, Until>()
  readonly #accessTokens = new Map<string, Until>()
  readonly #minVersions = new Map<string, { minVer: number; until: Until }>()
  readonly #disabled = new Map<string, { cursor: string; until: Until }>()
  #overflowed = false

  constructor(options: RevocationSetOptions) {
    if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 1) throw new RangeError('maxEntries must be a positive integer')
    this.#options = options
  }

  get size(): number {
    return this.#sessions.size + this.#accessTokens.size + this.#minVersions.size + this.#disabled.size
  }

  get maxEntries(): number {
    return this.#options.maxEntries
  }

  /** True once an entry was refused for lack of room; only `clear()` (a reset) ends it. */
  get overflowed(): boolean {
    return this.#overflowed
  }

  /** Applies one entry of the feed; entries must come in cursor order. */
  apply(entry: Revocation, now: number): ApplyResult {
    const until = entry.expiresAt + this.#options.graceMs
    if (entry.kind === 'user_enabled') {
      // Lifts a lock recorded before it; it stores nothing (tokens from before the lock stay dead
      // through the user_version entry written with it).
      const disabled = this.#disabled.get(entry.sub)
      if (disabled && compareCursors(disabled.cursor, entry.cursor) < 0) this.#disabled.delete(entry.sub)
      return 'applied'
    }
    if (until < now) return 'expired'
    switch (entry.kind) {
      case 'session':
        return this.#put(this.#sessions, entry.sid, Math.max(until, this.#sessions.get(entry.sid) ?? 0), now)
      case 'access_token':
        return this.#put(this.#accessTokens, entry.jti, Math.max(until, this.#accessTokens.get(entry.jti) ?? 0), now)
      case 'user_version': {
        // Versions only grow; should two entries disagree, keep the stricter bound for the longer
        // time: that can only refuse tokens that have expired anyway, never accept a revoked one.
        const previous = this.#minVersions.get(entry.sub)
        const merged = previous ? { minVer: Math.max(previous.minVer, entry.minVer), until: Math.max(previous.until, until) } : { minVer: entry.minVer, until }
        return this.#put(this.#minVersions, entry.sub, merged, now)
      }
      case 'user_disabled': {
        const previous = this.#disabled.get(entry.sub)
        return this.#put(this.#disabled, entry.sub, { cursor: entry.cursor, until: Math.max(until, previous?.until ?? 0) }, now)
      }
    }
  }

  /** Which entry, if any, rejects a token with these claims at `now`. */
  check(claims: RevocableClaims, now: number): Exclude<RevocationKind, 'user_enabled'> | null {
    if (this.#live(this.#sessions, claims.sid, this.#sessions.get(claims.sid), now)) return 'session'
    if (this.#live(this.#accessTokens, claims.jti, this.#accessTokens.get(claims.jti), now)) return 'access_token'
    const minVersion = this.#minVersions.get(claims.sub)
    if (this.#live(this.#minVersions, claims.sub, minVersion?.until, now) && claims.ver < minVersion!.minVer) return 'user_version'
    if (this.#live(this.#disabled, claims.sub, this.#disabled.get(claims.sub)?.until, now)) return 'user_disabled'
    return null
  }

  /** Removes every entry past its time; returns how many left. */
  sweep(now: number): number {
    const before = this.size
    for (const [key, until] of this.#sessions) if (until < now) this.#sessions.delete(key)
    for (const [key, until] of this.#accessTokens) if (until < now) this.#accessTokens.delete(key)
    for (const [key, entry] of this.#minVersions) if (entry.until < now) this.#minVersions.delete(key)
    for (const [key, entry] of this.#disabled) if (entry.until < now) this.#disabled.delete(key)
    return before - this.size
  }

  /** Drops everything (a reset of the feed) and ends an overflow. */
  clear(): void {
    this.#sessions.clear()
    this.#accessTokens.clear()
    this.#minVersions.clear()
    this.#disabled.clear()
    this.#overflowed = false
  }

  #put<V>(map: Map<string, V>, key: string, value: V, now: number): ApplyResult {
    if (!map.has(key) && this.size >= this.#options.maxEntries) {
      this.sweep(now)
      if (this.size >= this.#options.maxEntries) {
        this.#overflowed = true
        return 'overflow'
      }
    }
    map.set(key, value)
    return 'applied'
  }

  /** Whether an entry found under `key` still matters; a lapsed one is removed on the way. */
  #live(map: Map<string, unknown>, key: string, until: Until | undefined, now: number): boolean {
    if (until === undefined) return false
    if (until >= now) return true
    map.delete(key)
    return false
  }
}
