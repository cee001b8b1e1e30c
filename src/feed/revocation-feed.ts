import type { Clock } from '../domain/clock.js'
import type { RevocationFeedStore, RevocationRecord, RevocationSignal } from '../domain/ports.js'
import { securityEventClaims, signSecurityEvent } from '../domain/revocations/security-event-tokens.js'
import type { KeyRingSource } from '../domain/tokens/key-ring-source.js'
import type { Logger } from '../logger.js'

/** One revocation as it travels: its cursor and its signed Security Event Token. */
export interface FeedEvent {
  cursor: number
  set: string
}

/** What a reader of the feed is told, in this order: maybe a reset, then events, with heartbeats in between. */
export interface FeedReceiver {
  /** The reader's cursor was absent or older than the log: drop what you hold, the full current set follows. */
  reset(): void
  events(batch: readonly FeedEvent[]): void
  /** "You have every entry up to `cursor`, as this replica read the table at `time` (epoch ms)." */
  heartbeat(beat: { cursor: number; time: number }): void
}

export interface FeedPage {
  events: FeedEvent[]
  nextCursor: number
  moreAvailable: boolean
  reset: boolean
}

/** What the feed counts for operators' metrics (src/metrics); nothing unless given. */
export interface FeedMetrics {
  /** Entries read from the revocation log and published to this replica's readers (each once). */
  revocationsPublished(records: readonly RevocationRecord[]): void
}

const NO_FEED_METRICS: FeedMetrics = { revocationsPublished: () => {} }

export interface RevocationFeedOptions {
  store: RevocationFeedStore
  signal: RevocationSignal
  keys: KeyRingSource
  issuer: string
  clock: Clock
  logger: Logger
  heartbeatSeconds: number
  /** How often the table is read without a wake-up: the bound on a lost notification (default 1 s). */
  pollMilliseconds?: number
  /** How often expired entries are pruned (default 60 s). */
  pruneMilliseconds?: number
  metrics?: FeedMetrics
}

const PAGE = 500
/** Signed events kept in memory for readers that are nearly caught up; older ones are read again. */
const RECENT = 1000

/**
 * This replica's side of the revocation feed. It reads new outbox entries from the table whenever
 * it is woken (a commit in this process; on PostgreSQL a NOTIFY from any replica) and at least
 * every poll interval, signs each once, and hands them to every subscribed reader in cursor order.
 * Readers that are behind catch up from the table at their own pace.
 *
 * A heartbeat vouches that the reader has everything, so one is sent only while this replica's
 * last successful read of the table is recent: when the database is out of reach, heartbeats stop
 * and edges learn that their view may be stale, instead of being told that all is well.
 */
export class RevocationFeed {
  readonly #options: Required<RevocationFeedOptions>
  /** Every entry up to here has been read from the table. */
  #cursor = 0
  /** The latest signed events; complete for cursors above #recentAfter. */
  #recent: FeedEvent[] = []
  #recentAfter = 0
  #syncedAt: number | null = null
  #syncing: Promise<void> | null = null
  #syncAgain = false
  readonly #subscriptions = new Set<Subscription>()
  #timers: NodeJS.Timeout[] = []
  #unsubscribe: (() => void) | null = null
  #started = false
  readonly #eventListeners = new Set<() => void>()

  constructor(options: RevocationFeedOptions) {
    this.#options = { pollMilliseconds: 1000, pruneMilliseconds: 60_000, metrics: NO_FEED_METRICS, ...options }
  }

  /** Starts from the latest cursor (nothing older needs broadcasting: readers catch up from the table). */
  async start(): Promise<void> {
    if (this.#started) return
    this.#started = true
    const { latest } = await this.#options.store.bounds()
    this.#cursor = this.#recentAfter = latest
    this.#syncedAt = this.#now()
    this.#unsubscribe = this.#options.signal.subscribe(() => void this.sync())
    const every = (milliseconds: number, work: () => void) => this.#timers.push(setInterval(work, milliseconds).unref())
    every(this.#options.pollMilliseconds, () => void this.sync())
    every(this.#options.heartbeatSeconds * 1000, () => void this.#beatAll())
    every(this.#options.pruneMilliseconds, () => void this.prune())
  }

  /** Ends every subscription and stops the timers. */
  close(): void {
    for (const timer of this.#timers) clearInterval(timer)
    this.#timers = []
    this.#unsubscribe?.()
    for (const subscription of this.#subscriptions) subscription.close()
  }

  /** Calls `listener` whenever new events have been read (webhook delivery listens). */
  onEvents(listener: () => void): void {
    this.#eventListeners.add(listener)
  }

  get subscriberCount(): number {
    return this.#subscriptions.size
  }

  /** True while this replica has read the table recently enough to vouch for its view. */
  get fresh(): boolean {
    // The table is read at least once per heartbeat (see #beatAll); a few reads may be late
    // before this replica stops vouching for its view.
    const window = 3 * Math.max(this.#options.heartbeatSeconds * 1000, 1000)
    return this.#syncedAt !== null && this.#now() - this.#syncedAt <= window
  }

  /** Reads what is new. Calls coalesce: one arriving during a read makes exactly one more read. */
  sync(): Promise<void> {
    if (this.#syncing) {
      this.#syncAgain = true
      return this.#syncing
    }
    this.#syncing = (async () => {
      do {
        this.#syncAgain = false
        await this.#readNew()
      } while (this.#syncAgain)
    })().finally(() => {
      this.#syncing = null
    })
    return this.#syncing
  }

  async prune(): Promise<void> {
    try {
      const pruned = await this.#options.store.prune(this.#options.clock.now())
      if (pruned > 0) this.#options.logger.debug({ pruned }, 'pruned expired revocations')
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'could not prune the revocation log')
    }
  }

  /**
   * Opens a subscription from `after` (null: from scratch). Resolves once the starting point is
   * known, so that an unreachable database fails the request before any stream begins; events
   * flow once `start` is called with a receiver.
   */
  async subscribe(after: number | null): Promise<Subscription> {
    const start = await this.resumePoint(after)
    return new Subscription(this, this.#subscriptions, start)
  }

  /** One page for a polling reader (in the spirit of RFC 8936). */
  async page(after: number | null, limit: number): Promise<FeedPage> {
    const start = await this.resumePoint(after)
    if (start.after >= this.#recentAfter) await this.sync()
    const events = await this.eventsAfter(start.after, limit + 1)
    const moreAvailable = events.length > limit
    if (moreAvailable) events.length = limit
    return { events, nextCursor: events.at(-1)?.cursor ?? start.after, moreAvailable, reset: start.reset }
  }

  /** Signed events above `after`, from memory when they are recent, else from the table. */
  async eventsAfter(after: number, limit: number): Promise<FeedEvent[]> {
    if (after >= this.#recentAfter) return this.#recent.filter((event) => event.cursor > after).slice(0, limit)
    return this.#sign(await this.#options.store.readAfter(after, limit))
  }

  get cursor(): number {
    return this.#cursor
  }

  /** The time a heartbeat may state: the last successful read, or null when it is too old to vouch for. */
  heartbeatTime(): number | null {
    return this.fresh ? this.#syncedAt : null
  }

  /**
   * Where a reader starts. A cursor that is absent, below the retained log (entries it never saw
   * were pruned) or above the latest one (a database restored from backup, another deployment's
   * cursor) cannot be continued: the reader is reset and gets every retained entry, which is the
   * full current revocation set.
   */
  async resumePoint(after: number | null): Promise<{ after: number; reset: boolean }> {
    const { oldest, latest } = await this.#options.store.bounds()
    if (after !== null && after <= latest && (oldest === null || after >= oldest - 1)) return { after, reset: false }
    return { after: oldest === null ? latest : oldest - 1, reset: true }
  }

  async #readNew(): Promise<void> {
    const before = this.#cursor
    try {
      for (;;) {
        const records = await this.#options.store.readAfter(this.#cursor, PAGE)
        if (records.length > 0) {
          this.#remember(await this.#sign(records))
          this.#options.metrics.revocationsPublished(records)
        }
        if (records.length < PAGE) break
      }
      this.#syncedAt = this.#now()
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'could not read the revocation log; edges will see no heartbeat until it is readable again')
      return
    }
    for (const subscription of this.#subscriptions) subscription.pump()
    if (this.#cursor > before) for (const listener of this.#eventListeners) listener()
  }

  #remember(events: FeedEvent[]): void {
    this.#recent.push(...events)
    this.#cursor = events.at(-1)!.cursor
    const excess = this.#recent.length - RECENT
    if (excess > 0) this.#recentAfter = this.#recent.splice(0, excess).at(-1)!.cursor
  }

  #sign(records: RevocationRecord[]): Promise<FeedEvent[]> {
    const { keys, issuer } = this.#options
    return Promise.all(records.map(async (record) => ({ cursor: record.cursor, set: await signSecurityEvent(securityEventClaims(record, issuer), keys.current()) })))
  }

  /** A heartbeat vouches for a recent read, so one is made first when the last is older than a beat. */
  async #beatAll(): Promise<void> {
    if (this.#syncedAt === null || this.#now() - this.#syncedAt >= this.#options.heartbeatSeconds * 1000) await this.sync()
    for (const subscription of this.#subscriptions) subscription.beat()
  }

  #now(): number {
    return this.#options.clock.now().getTime()
  }
}

/** One reader's position in the feed. Deliveries to it never overlap and never go backwards. */
export class Subscription {
  #cursor: number
  #reset: boolean
  #receiver: FeedReceiver | null = null
  #pumping = false
  #pumpAgain = false
  #closed = false
  #onClose: (() => void) | null = null
  /** Set once the first heartbeat (the end of the backlog) has gone out. */
  #caughtUpOnce = false

  constructor(
    private readonly feed: RevocationFeed,
    private readonly registry: Set<Subscription>,
    start: { after: number; reset: boolean },
  ) {
    this.#cursor = start.after
    this.#reset = start.reset
  }

  /** Starts delivery: the reset if due, the backlog, then a heartbeat once caught up. */
  start(receiver: FeedReceiver, onClose: () => void): void {
    this.#receiver = receiver
    this.#onClose = onClose
    this.registry.add(this)
    if (this.#reset) receiver.reset()
    this.pump()
  }

  /** Delivers everything the feed has beyond this reader's cursor; a heartbeat follows the backlog and every batch. */
  pump(): void {
    if (this.#closed || !this.#receiver) return
    if (this.#pumping) {
      this.#pumpAgain = true
      return
    }
    this.#pumping = true
    void (async () => {
      try {
        do {
          this.#pumpAgain = false
          let delivered = false
          while (!this.#closed && this.#cursor < this.feed.cursor) {
            const batch = await this.feed.eventsAfter(this.#cursor, PAGE)
            if (batch.length === 0 || this.#closed) break
            this.#receiver!.events(batch)
            this.#cursor = batch.at(-1)!.cursor
            delivered = true
          }
          if (delivered || !this.#caughtUpOnce) this.#beatIfCaughtUp()
        } while (this.#pumpAgain && !this.#closed)
      } catch {
        // The table could not be read for this reader's backlog: end the stream, so that the
        // reader reconnects and resumes from its cursor, rather than wait behind a silent gap.
        this.close()
      } finally {
        this.#pumping = false
      }
    })()
  }

  /** A periodic heartbeat; skipped while a delivery is under way (it ends with one). */
  beat(): void {
    if (!this.#pumping) this.#beatIfCaughtUp()
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.registry.delete(this)
    this.#onClose?.()
  }

  #beatIfCaughtUp(): void {
    const time = this.feed.heartbeatTime()
    if (this.#closed || time === null || this.#cursor < this.feed.cursor) return
    this.#caughtUpOnce = true
    this.#receiver!.heartbeat({ cursor: this.#cursor, time })
  }
}
