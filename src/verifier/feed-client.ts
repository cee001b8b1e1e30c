import { setTimeout as sleep } from 'node:timers/promises'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { isCursor } from './cursor.js'

/**
 * The receiving end of the feed's two pull deliveries (docs/revocation-feed.md, "Delivery"): the
 * Server-Sent Events stream and polling. Both only move bytes and call the handler, in order; what
 * a SET means, and what the cursor is, belong to the handler.
 */
export interface FeedHandler {
  /** Where to resume: the last cursor received, or undefined to start over (the feed then resets). */
  cursor(): string | undefined
  /** A connection (stream) or a poll is about to start. */
  connecting(): void
  /** The feed dropped the receiver's set: rebuild it from what follows. */
  reset(): void
  /**
   * One SET, delivered under `cursor`. Resolves once it is applied or ignored; throws when it could
   * not be judged (the keys could not be fetched): the connection is then dropped and the SET
   * comes again after a reconnect, since the cursor did not move past it.
   */
  event(set: string, cursor: string | undefined): Promise<void>
  /** The feed says to resume after `cursor` next time (a poll page's `next_cursor`). */
  advance(cursor: string): void
  /** Everything up to `cursor` (if given) has been delivered, as of `at` (verifier clock, milliseconds). */
  caughtUp(at: number, cursor: string | undefined): void
  /** The connection ended, or a poll failed; a reconnect follows after a backoff. */
  disconnected(reason: string): void
}

export interface FeedClientOptions {
  /** The stream endpoint (`/events/stream`) or the polling endpoint (`/events`). */
  url: string
  /** The `Authorization` header (HTTP Basic of the edge's client credentials). */
  authorization: string
  fetch: typeof globalThis.fetch
  handler: FeedHandler
  /** Milliseconds: the first delay after a failure (unless the stream sent `retry`), doubled up to `maxDelay`. */
  reconnect: { initialDelay: number; maxDelay: number }
  /** Verifier clock, milliseconds. */
  now: () => number
}

export interface StreamFeedOptions extends FeedClientOptions {
  /** A connection that delivers nothing (not even a heartbeat) for this long is dropped and retried. */
  idleTimeout: number
  /** Largest SSE event buffered, in characters. */
  maxEventSize?: number
}

export interface PollFeedOptions extends FeedClientOptions {
  /** Milliseconds between two polls once caught up. */
  interval: number
  /** `limit` of each page (1 to 1000). */
  limit: number
  /** A poll taking longer than this fails (milliseconds). */
  timeout: number
}

export interface FeedClient {
  start(): void
  /** Drop the current connection (or wait) and reconnect now, from whatever `handler.cursor()` says. */
  restart(): void
  /** Stops for good; resolves once the connection is closed. */
  close(): Promise<void>
}

class FeedFailure extends Error {}

/** How an attempt ended: a connection that closed or failed, or a poll cycle that caught up. */
type Outcome = { kind: 'ended'; caughtUp: boolean; reason: string } | { kind: 'polled'; next: number }

/** The part both clients share: the loop of attempts with capped, jittered exponential backoff. */
abstract class Reconnecting implements FeedClient {
  protected readonly options: FeedClientOptions
  #closed = false
  #running: Promise<void> | null = null
  /** Aborts the current attempt, or the wait before the next. */
  #abort = new AbortController()
  #restartRequested = false
  /** The stream's `retry` field, when it sent one. */
  protected serverRetry: number | undefined

  constructor(options: FeedClientOptions) {
    this.options = options
  }

  start(): void {
    this.#running ??= this.#loop()
  }

  restart(): void {
    this.#restartRequested = true
    this.#abort.abort(new FeedFailure('restart'))
  }

  close(): Promise<void> {
    this.#closed = true
    this.#abort.abort(new FeedFailure('closed'))
    return this.#running ?? Promise.resolve()
  }

  /** One connection, or one poll cycle up to caught up; rejects on failure. */
  protected abstract attempt(signal: AbortSignal): Promise<Outcome>

  async #loop(): Promise<void> {
    let failures = 0
    while (!this.#closed) {
      const signal = this.#abort.signal
      let wait: number
      try {
        const outcome = await this.attempt(signal)
        if (outcome.kind === 'polled') {
          failures = 0
          wait = outcome.next
        } else {
          failures = outcome.caughtUp ? 0 : failures + 1
          this.#ended(outcome.reason)
          wait = this.#backoff(failures)
        }
      } catch (error) {
        failures += 1
        this.#ended(signal.aborted ? reasonOf(signal.reason) : reasonOf(error))
        wait = this.#backoff(failures)
      }
      if (this.#closed) break
      if (this.#abort.signal.aborted) this.#abort = new AbortController()
      if (this.#restartRequested) {
        this.#restartRequested = false
        continue
      }
      try {
        await sleep(wait, undefined, { signal: this.#abort.signal, ref: false })
      } catch {
        // restart() or close() during the wait
      }
      if (this.#abort.signal.aborted) this.#abort = new AbortController()
      this.#restartRequested = false
    }
  }

  #ended(reason: string): void {
    if (!this.#closed) this.options.handler.disconnected(reason)
  }

  #backoff(failures: number): number {
    return backoff(this.serverRetry ?? this.options.reconnect.initialDelay, this.options.reconnect.maxDelay, failures)
  }
}

/** Full jitter on the upper half: between half and all of min(max, base × 2^(failures - 1)). */
export function backoff(base: number, max: number, failures: number): number {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, Math.min(failures - 1, 30)))
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

function reasonOf(error: unknown): string {
  if (error instanceof FeedFailure) return error.message
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause
    const code = typeof cause === 'object' && cause !== null && 'code' in cause ? ` (${String((cause as { code: unknown }).code)})` : ''
    return `${error.name}: ${error.message}${code}`
  }
  return String(error)
}

/**
 * `GET /events/stream` over fetch: SSE parsed with eventsource-parser, `Last-Event-ID` on every
 * reconnect, `event: set` handed over one at a time in order, `event: reset` and `event:
 * heartbeat` passed on. The connection is dropped and retried on an HTTP error, on EOF, on a
 * SET that could not be judged, and when nothing arrived for `idleTimeout`.
 */
export class StreamFeed extends Reconnecting {
  readonly #stream: StreamFeedOptions

  constructor(options: StreamFeedOptions) {
    super(options)
    this.#stream = options
  }

  protected async attempt(signal: AbortSignal): Promise<Outcome> {
    const { handler, fetch, url, authorization, now, idleTimeout } = this.#stream
    handler.connecting()
    const attempt = new AbortController()
    const abort = () => attempt.abort(signal.reason)
    signal.addEventListener('abort', abort, { once: true })
    let idle: NodeJS.Timeout | undefined
    const touch = () => {
      clearTimeout(idle)
      idle = setTimeout(() => attempt.abort(new FeedFailure('idle')), idleTimeout)
      idle.unref()
    }
    let caughtUp = false
    try {
      touch()
      const cursor = handler.cursor()
      const headers: Record<string, string> = { authorization, accept: 'text/event-stream', 'cache-control': 'no-cache' }
      if (cursor !== undefined) headers['last-event-id'] = cursor
      const response = await fetch(url, { headers, signal: attempt.signal })
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {})
        throw new FeedFailure(`HTTP ${response.status}`)
      }
      if (!/^text\/event-stream\b/i.test(response.headers.get('content-type') ?? '') || !response.body) {
        await response.body?.cancel().catch(() => {})
        throw new FeedFailure('not an event stream')
      }
      const queue: EventSourceMessage[] = []
      let parseError: string | null = null
      const parser = createParser({
        onEvent: (event) => queue.push(event),
        onRetry: (retry) => {
          if (Number.isSafeInteger(retry) && retry >= 0) this.serverRetry = retry
        },
        onError: (error) => {
          if (error.type === 'max-buffer-size-exceeded') parseError = 'event too large'
        },
        maxBufferSize: this.#stream.maxEventSize ?? 1_048_576,
      })
      const decoder = new TextDecoder()
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        touch()
        parser.feed(decoder.decode(chunk, { stream: true }))
        if (parseError) throw new FeedFailure(parseError)
        while (queue.length > 0) {
          const event = queue.shift()!
          if (event.event === 'set') {
            await handler.event(event.data, event.id)
          } else if (event.event === 'heartbeat') {
            handler.caughtUp(now(), heartbeatCursor(event.data))
            caughtUp = true
          } else if (event.event === 'reset') {
            handler.reset()
          }
          if (attempt.signal.aborted) throw attempt.signal.reason
        }
      }
      return { kind: 'ended', caughtUp, reason: 'eof' }
    } catch (error) {
      if (attempt.signal.aborted) throw attempt.signal.reason
      // A connection that had caught up and then broke is an ordinary disconnect, not a failure streak.
      if (caughtUp && !(error instanceof FeedFailure)) return { kind: 'ended', caughtUp, reason: reasonOf(error) }
      throw error
    } finally {
      clearTimeout(idle)
      signal.removeEventListener('abort', abort)
      attempt.abort(new FeedFailure('done'))
    }
  }
}

function heartbeatCursor(data: string): string | undefined {
  try {
    const parsed = JSON.parse(data) as { cursor?: unknown }
    return isCursor(parsed?.cursor) ? parsed.cursor : undefined
  } catch {
    return undefined
  }
}

/**
 * `GET /events?after=<cursor>&limit=<n>` every `interval`: each page is applied in order, pages
 * with `more_available` are fetched back to back, and a page that returned everything counts as
 * caught up as of the moment its request was sent.
 */
export class PollFeed extends Reconnecting {
  readonly #poll: PollFeedOptions

  constructor(options: PollFeedOptions) {
    super(options)
    this.#poll = options
  }

  protected async attempt(signal: AbortSignal): Promise<Outcome> {
    const { handler, fetch, url, authorization, now, limit, timeout, interval } = this.#poll
    for (;;) {
      const sentAt = now()
      handler.connecting()
      const cursor = handler.cursor()
      const target = new URL(url)
      if (cursor !== undefined) target.searchParams.set('after', cursor)
      target.searchParams.set('limit', String(limit))
      const response = await fetch(target.href, { headers: { authorization, accept: 'application/json' }, signal: AbortSignal.any([signal, AbortSignal.timeout(timeout)]) })
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {})
        throw new FeedFailure(`HTTP ${response.status}`)
      }
      const page = parsePage(await response.json())
      if (!page) throw new FeedFailure('not a page of the feed')
      if (page.reset) handler.reset()
      for (const entry of page.sets) await handler.event(entry.set, entry.cursor)
      if (page.next_cursor !== null) handler.advance(page.next_cursor)
      if (!page.more_available) {
        handler.caughtUp(sentAt, undefined)
        return { kind: 'polled', next: interval }
      }
    }
  }
}

interface Page {
  sets: { cursor: string; set: string }[]
  next_cursor: string | null
  more_available: boolean
  reset: boolean
}

function parsePage(body: unknown): Page | null {
  if (typeof body !== 'object' || body === null) return null
  const page = body as Record<string, unknown>
  if (!Array.isArray(page.sets) || typeof page.more_available !== 'boolean' || typeof page.reset !== 'boolean') return null
  if (page.next_cursor !== null && page.next_cursor !== undefined && !isCursor(page.next_cursor)) return null
  const sets: Page['sets'] = []
  for (const entry of page.sets as unknown[]) {
    if (typeof entry !== 'object' || entry === null) return null
    const { cursor, set } = entry as Record<string, unknown>
    if (!isCursor(cursor) || typeof set !== 'string') return null
    sets.push({ cursor, set })
  }
  return { sets, next_cursor: (page.next_cursor as string | null | undefined) ?? null, more_available: page.more_available, reset: page.reset }
}
