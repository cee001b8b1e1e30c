import { PassThrough } from 'node:stream'
import type Router from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import type { Core } from '../../domain/core.js'
import { InvalidRequestError, ServiceUnavailableError } from '../../domain/errors.js'
import type { FeedEvent, RevocationFeed } from '../../feed/revocation-feed.js'
import { parseInput } from '../errors.js'
import type { OperationSpecs } from '../openapi.js'
import { requireBasicClient } from '../middleware/client-authentication.js'
import { createRouter } from '../router.js'

/*
 * The revocation feed for edges (docs/revocation-feed.md): the same cursors and Security Event
 * Tokens by Server-Sent Events and by polling. Readers are confidential clients authenticating
 * with HTTP Basic, as for introspection.
 */
const Cursor = z
  .string({ error: 'must be given once' })
  .regex(/^[0-9]{1,15}$/, { error: 'must be a cursor this server issued' })
  .transform(Number)

export const MAX_EVENTS_PAGE = 1000

const PollQuery = z.strictObject({
  after: Cursor.optional().describe('next_cursor of the previous answer; omit to start from the full current set'),
  limit: z
    .string({ error: 'must be given once' })
    .regex(/^[0-9]{1,4}$/, { error: `must be a whole number from 1 to ${MAX_EVENTS_PAGE}` })
    .transform(Number)
    .refine((limit) => limit >= 1 && limit <= MAX_EVENTS_PAGE, { error: `must be a whole number from 1 to ${MAX_EVENTS_PAGE}` })
    .optional()
    .describe(`at most this many SETs, 1 to ${MAX_EVENTS_PAGE} (default 100)`),
})
const StreamQuery = z.strictObject({ after: Cursor.optional().describe('resume after this cursor (the Last-Event-ID header takes precedence)') })

const PageBody = {
  type: 'object',
  required: ['sets', 'next_cursor', 'more_available', 'reset'],
  properties: {
    sets: { type: 'array', items: { type: 'object', required: ['cursor', 'set'], properties: { cursor: { type: 'string' }, set: { type: 'string', description: 'a Security Event Token (RFC 8417)' } } } },
    next_cursor: { type: 'string', description: 'pass as ?after= next time' },
    more_available: { type: 'boolean' },
    reset: { type: 'boolean', description: 'the cursor was absent or older than the log: rebuild the revocation set from this page on' },
  },
}

const feedErrors = { 400: 'invalid_request', 401: 'invalid_client', 503: 'temporarily_unavailable' } as const

export const eventOperations: OperationSpecs = {
  'GET /events': {
    summary: 'Poll the revocation feed: signed Security Event Tokens after a cursor (in the spirit of RFC 8936)',
    tag: 'feed',
    security: 'client',
    query: PollQuery,
    responses: { 200: { description: 'One page of the feed', schema: PageBody }, ...feedErrors },
  },
  'GET /events/stream': {
    summary: 'Follow the revocation feed as Server-Sent Events (resume with Last-Event-ID; heartbeats every LATCH_FEED_HEARTBEAT seconds)',
    tag: 'feed',
    security: 'client',
    query: StreamQuery,
    responses: { 200: 'text/event-stream of `set`, `heartbeat` and `reset` events', ...feedErrors },
  },
}

export interface EventRouteOptions {
  /** Most streams this replica holds open at once; more get 503, so a flood of readers cannot exhaust it. */
  maxStreams: number
}

/** Bytes a stream may have waiting for a reader that stopped reading before it is cut off. */
const MAX_UNREAD_BYTES = 1 << 20

export function eventRoutes(core: Core, feed: RevocationFeed, options: EventRouteOptions): Router {
  const router = createRouter()
  const reader = requireBasicClient(core)
  // Streams past the cap's check but not yet subscribed (subscribe() reads the log first): counted
  // too, or parallel requests could all pass the check before any of them subscribed.
  let opening = 0

  router.get('/events', reader, async (ctx) => {
    const query = parseInput(PollQuery, ctx.query)
    const page = await feed.page(query.after ?? null, query.limit ?? 100)
    ctx.set('Cache-Control', 'no-store')
    ctx.body = {
      sets: page.events.map((event) => ({ cursor: String(event.cursor), set: event.set })),
      next_cursor: String(page.nextCursor),
      more_available: page.moreAvailable,
      reset: page.reset,
    }
  })

  router.get('/events/stream', reader, async (ctx) => {
    const after = resumeCursor(ctx)
    if (feed.subscriberCount + opening >= options.maxStreams) throw new ServiceUnavailableError(`feed: ${options.maxStreams} streams open already`)
    opening += 1
    let subscription: Awaited<ReturnType<RevocationFeed['subscribe']>>
    try {
      subscription = await feed.subscribe(after)
    } finally {
      opening -= 1
    }
    openEventStream(ctx, (stream) => {
      const write = (text: string) => {
        stream.write(text)
        // A reader that stopped reading: drop it rather than buffer without bound. It reconnects
        // and resumes from its Last-Event-ID, losing nothing.
        if (stream.writableLength > MAX_UNREAD_BYTES) stream.destroy()
      }
      subscription.start(
        {
          reset: () => write('event: reset\ndata: {}\n\n'),
          events: (batch) => write(batch.map(eventText).join('')),
          heartbeat: ({ cursor, time }) => write(`event: heartbeat\ndata: ${JSON.stringify({ cursor: String(cursor), time })}\n\n`),
        },
        () => stream.end(),
      )
      return () => subscription.close()
    })
  })

  return router
}

function eventText(event: FeedEvent): string {
  return `id: ${event.cursor}\nevent: set\ndata: ${event.set}\n\n`
}

/** Last-Event-ID (what EventSource sends on reconnect) wins over ?after=. */
function resumeCursor(ctx: Context): number | null {
  const query = parseInput(StreamQuery, ctx.query)
  const header = ctx.get('Last-Event-ID')
  if (!header) return query.after ?? null
  const parsed = Cursor.safeParse(header)
  if (!parsed.success) throw new InvalidRequestError('Last-Event-ID: must be a cursor this server issued')
  return parsed.data
}

/**
 * Answers with a Server-Sent Events stream and keeps the connection open. `feed` wires the stream
 * and returns what to do when the reader goes away.
 */
function openEventStream(ctx: Context, feed: (stream: PassThrough) => () => void): void {
  const stream = new PassThrough()
  ctx.req.socket.setTimeout(0)
  ctx.req.socket.setNoDelay(true)
  ctx.req.socket.setKeepAlive(true)
  ctx.status = 200
  ctx.type = 'text/event-stream'
  ctx.set('Cache-Control', 'no-store')
  // Reverse proxies (nginx) otherwise buffer the stream and delay every event.
  ctx.set('X-Accel-Buffering', 'no')
  ctx.body = stream
  stream.write('retry: 1000\n\n')
  const stop = feed(stream)
  stream.once('close', stop)
  ctx.req.once('close', () => stream.destroy())
}
