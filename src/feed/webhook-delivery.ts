import { randomUUID } from 'node:crypto'
import { addSeconds, type Clock } from '../domain/clock.js'
import type { FeedWebhook, FeedWebhookStore } from '../domain/ports.js'
import type { Logger } from '../logger.js'
import type { FeedEvent, RevocationFeed } from './revocation-feed.js'

export type WebhookDeliveryResult = 'delivered' | 'failed'

/** What delivery counts for operators' metrics (src/metrics); nothing unless given. */
export interface WebhookMetrics {
  /** One POST of one SET: acknowledged with a 2xx, or not (error, timeout, other status). */
  webhookDelivery(result: WebhookDeliveryResult): void
}

const NO_WEBHOOK_METRICS: WebhookMetrics = { webhookDelivery: () => {} }

export interface WebhookDeliveryOptions {
  store: FeedWebhookStore
  feed: RevocationFeed
  clock: Clock
  logger: Logger
  /** How often due webhooks are looked for without a wake-up (default 1 s). */
  pollMilliseconds?: number
  /** How long one POST may take before it counts as failed (default 5 s). */
  timeoutMilliseconds?: number
  metrics?: WebhookMetrics
}

/** Longest wait between two attempts at a failing receiver. */
const MAX_BACKOFF_SECONDS = 300
/** How long a claimed webhook stays this replica's; a delivery round stops well before. */
const LEASE_SECONDS = 60
const BATCH = 100

/**
 * Pushes the feed to webhook receivers (in the spirit of RFC 8935): each SET is POSTed as
 * `application/secevent+jwt`, one at a time and in cursor order, and the receiver's cursor moves
 * only when it acknowledges with a 2xx. A receiver that fails, answers late (past the timeout) or
 * not at all is retried after 1 s, 2 s, 4 s … up to 5 minutes, and the SETs after it wait, so it
 * never sees them out of order. Delivery state is in the database and each webhook is leased to
 * one replica at a time, so several replicas never send the same SET twice at once.
 */
export class WebhookDelivery {
  readonly #options: Required<WebhookDeliveryOptions>
  /** Identifies this replica's leases. */
  readonly #owner = randomUUID()
  #running: Promise<void> | null = null
  #timer: NodeJS.Timeout | undefined
  #closed = false

  constructor(options: WebhookDeliveryOptions) {
    this.#options = { pollMilliseconds: 1000, timeoutMilliseconds: 5000, metrics: NO_WEBHOOK_METRICS, ...options }
  }

  start(): void {
    this.#timer = setInterval(() => void this.run(), this.#options.pollMilliseconds).unref()
  }

  close(): void {
    this.#closed = true
    clearInterval(this.#timer)
  }

  /** Delivers to every due webhook; a call during a round waits for that round. */
  run(): Promise<void> {
    this.#running ??= this.#round().finally(() => {
      this.#running = null
    })
    return this.#running
  }

  async #round(): Promise<void> {
    const { store, clock, logger } = this.#options
    const now = clock.now()
    let due: FeedWebhook[]
    try {
      due = await store.claimDue({ owner: this.#owner, now, leaseUntil: addSeconds(now, LEASE_SECONDS) })
    } catch (error) {
      logger.warn({ err: error }, 'could not read the feed webhooks')
      return
    }
    await Promise.all(due.map((webhook) => this.#deliver(webhook)))
  }

  async #deliver(webhook: FeedWebhook): Promise<void> {
    const { store, feed, clock, logger } = this.#options
    const owner = this.#owner
    const started = clock.now().getTime()
    let cursor = webhook.cursor
    try {
      // A receiver behind the retained log missed only entries that no longer matter (they were
      // pruned because they expired); it resumes at the oldest one kept.
      cursor = (await feed.resumePoint(cursor)).after
      const events = await feed.eventsAfter(cursor, BATCH)
      for (const event of events) {
        if (this.#closed || clock.now().getTime() - started > (LEASE_SECONDS / 2) * 1000) break
        const failure = await this.#post(webhook.url, event)
        this.#options.metrics.webhookDelivery(failure ? 'failed' : 'delivered')
        if (failure) {
          const nextAttemptAt = addSeconds(clock.now(), Math.min(2 ** webhook.failures, MAX_BACKOFF_SECONDS))
          await store.fail({ clientId: webhook.clientId, owner, error: failure, nextAttemptAt })
          logger.warn({ clientId: webhook.clientId, cursor: event.cursor, failures: webhook.failures + 1, error: failure, retryAt: nextAttemptAt.toISOString() }, 'webhook delivery failed')
          return
        }
        cursor = event.cursor
        if (!(await store.acknowledge({ clientId: webhook.clientId, owner, cursor }))) return
        webhook.failures = 0
      }
      await store.release({ clientId: webhook.clientId, owner })
    } catch (error) {
      logger.warn({ err: error, clientId: webhook.clientId }, 'webhook delivery round failed')
      await store.release({ clientId: webhook.clientId, owner }).catch(() => {})
    }
  }

  /** POSTs one SET; returns why it failed, or null when the receiver acknowledged it. */
  async #post(url: string, event: FeedEvent): Promise<string | null> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/secevent+jwt', accept: 'application/json' },
        body: event.set,
        redirect: 'error',
        signal: AbortSignal.timeout(this.#options.timeoutMilliseconds),
      })
      await response.body?.cancel()
      return response.ok ? null : `HTTP ${response.status}`
    } catch (error) {
      return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    }
  }
}
