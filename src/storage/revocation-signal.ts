import pg from 'pg'
import type { RevocationSignal } from '../domain/ports.js'

/** The in-process half of the signal: the outbox pulls it after each commit; the feed listens. */
export class LocalRevocationSignal implements RevocationSignal {
  readonly #listeners = new Set<() => void>()

  notify(): void {
    for (const listener of this.#listeners) listener()
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}

export interface NotificationListener {
  close(): Promise<void>
}

interface ListenerOptions {
  connectionString: string
  connectionTimeoutMillis: number
  channel: string
  /** Called on every NOTIFY on the channel, and after each (re)connect, when one may have been missed. */
  onNotify: () => void
  onError: (error: Error, retryInMs: number) => void
}

/**
 * PostgreSQL LISTEN on a connection of its own (a pooled one would be handed back and lose it),
 * so that a revocation committed through any replica wakes this one's feed within a round trip.
 * The table stays the truth: the feed also polls it, so a notification lost while this connection
 * was down delays an event by at most one poll. Reconnects with capped backoff.
 */
export function listenForRevocations(options: ListenerOptions): NotificationListener {
  let client: pg.Client | null = null
  let closed = false
  let retryMs = 250
  let retryTimer: NodeJS.Timeout | undefined

  const connect = async () => {
    if (closed) return
    const connection = new pg.Client({ connectionString: options.connectionString, connectionTimeoutMillis: options.connectionTimeoutMillis, keepAlive: true })
    client = connection
    connection.on('notification', (message) => {
      if (message.channel === options.channel) options.onNotify()
    })
    connection.on('error', (error) => retry(connection, error))
    connection.on('end', () => retry(connection, new Error('LISTEN connection ended')))
    try {
      await connection.connect()
      await connection.query(`LISTEN ${pg.escapeIdentifier(options.channel)}`)
      retryMs = 250
      options.onNotify()
    } catch (error) {
      retry(connection, error as Error)
    }
  }

  const retry = (connection: pg.Client, error: Error) => {
    if (closed || client !== connection) return
    client = null
    connection.removeAllListeners('end')
    connection.end().catch(() => {})
    options.onError(error, retryMs)
    retryTimer = setTimeout(() => void connect(), retryMs)
    retryTimer.unref()
    retryMs = Math.min(retryMs * 2, 30_000)
  }

  void connect()
  return {
    async close() {
      closed = true
      clearTimeout(retryTimer)
      const connection = client
      client = null
      await connection?.end().catch(() => {})
    },
  }
}
