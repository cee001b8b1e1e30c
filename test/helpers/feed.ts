import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose'
import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import { basic } from './oauth.js'
import type { TestLatch } from './latch.js'

/** Helpers for the revocation feed: edge credentials, a raw Server-Sent Events reader, SET checks. */

export interface Edge {
  clientId: string
  secret: string
  headers: Record<string, string>
}

let counter = 0

/** Registers an edge (a confidential client) through the domain, as `latch create-edge` does. */
export async function createEdge(server: TestLatch, options: { webhookUrl?: string } = {}): Promise<Edge> {
  counter += 1
  const { client, secret } = await server.latch.core.createClient({ name: `test edge ${counter}`, type: 'confidential', ...options }, OPERATOR_CONTEXT)
  return { clientId: client.id, secret: secret!, headers: basic(client.id, secret!) }
}

export interface StreamMessage {
  event: string
  id?: string
  data: string
}

/**
 * Reads /events/stream as a receiver would, keeping every message. Parsing follows the SSE
 * format as far as the feed uses it: `field: value` lines, messages ended by a blank line.
 */
export class EventStreamReader {
  readonly messages: StreamMessage[] = []
  readonly status: number
  readonly contentType: string | null
  #waiters: (() => void)[] = []
  #ended = false

  private constructor(response: Response, private readonly abort: AbortController) {
    this.status = response.status
    this.contentType = response.headers.get('content-type')
    if (response.body) void this.#read(response.body)
  }

  static async open(server: TestLatch, edge: Edge, headers: Record<string, string> = {}, query = ''): Promise<EventStreamReader> {
    const abort = new AbortController()
    const response = await fetch(`${server.url}/events/stream${query}`, { headers: { ...edge.headers, ...headers }, signal: abort.signal })
    return new EventStreamReader(response, abort)
  }

  get ended(): boolean {
    return this.#ended
  }

  sets(): StreamMessage[] {
    return this.messages.filter((message) => message.event === 'set')
  }

  /** Resolves once `predicate` holds for the messages received, or rejects after `timeoutMs`. */
  async waitFor(predicate: (messages: StreamMessage[]) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!predicate(this.messages)) {
      if (this.#ended) throw new Error(`stream ended before the condition held; got ${JSON.stringify(this.messages.map((m) => m.event))}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.messages.map((m) => `${m.event}:${m.id ?? ''}`))}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  close(): void {
    this.abort.abort()
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder()
    let buffer = ''
    const reader = body.getReader()
    try {
      for (;;) {
        const { done, value: chunk } = await reader.read()
        if (done) break
        buffer += decoder.decode(chunk, { stream: true })
        let end
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const message: StreamMessage = { event: 'message', data: '' }
          let fields = 0
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':')
            if (colon <= 0) continue
            const field = line.slice(0, colon)
            const value = line.slice(colon + 1).replace(/^ /, '')
            if (field === 'event') message.event = value
            else if (field === 'id') message.id = value
            else if (field === 'data') message.data += value
            else continue
            fields += 1
          }
          if (fields > 0) this.messages.push(message)
          this.#wake()
        }
      }
    } catch {
      // aborted by close(), or the server went away
    } finally {
      this.#ended = true
      this.#wake()
    }
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter()
  }
}

/** Verifies a SET as an edge must: against the published JWKS, `typ: secevent+jwt`, the issuer. */
export async function verifySet(server: TestLatch, set: string, issuer: string): Promise<JWTPayload> {
  const jwks = (await server.get('/.well-known/jwks.json')).body
  const { payload } = await jwtVerify(set, createLocalJWKSet(jwks), { issuer, typ: 'secevent+jwt' })
  return payload
}

/** Polls GET /events. */
export function poll(server: TestLatch, edge: Edge, query = '') {
  return server.request('GET', `/events${query}`, { headers: edge.headers })
}

/** The single event of a SET: its type and payload. */
export function onlyEvent(payload: JWTPayload): { type: string; event: Record<string, unknown> } {
  const events = payload.events as Record<string, Record<string, unknown>>
  const types = Object.keys(events)
  if (types.length !== 1) throw new Error(`a SET must carry exactly one event, got ${types.join(', ')}`)
  return { type: types[0]!, event: events[types[0]!]! }
}
