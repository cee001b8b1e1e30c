import test from 'ava'
import { PROVIDERS } from '../helpers/databases.js'
import { createEdge, EventStreamReader } from '../helpers/feed.js'
import { TestLatch } from '../helpers/latch.js'

/**
 * A replica holds at most LATCH_FEED_MAX_STREAMS streams open: past that it answers 503 in the
 * documented shape, also when the requests arrive all at once, and a freed slot can be taken again.
 */

for (const provider of PROVIDERS) {
  test(`${provider}: parallel requests never open more than LATCH_FEED_MAX_STREAMS streams`, async (t) => {
    const server = await TestLatch.start(provider, { env: { LATCH_FEED_MAX_STREAMS: '2' } })
    t.teardown(() => server.close())
    const edge = await createEdge(server)
    const streams = await Promise.all(Array.from({ length: 20 }, () => EventStreamReader.open(server, edge)))
    t.teardown(() => streams.forEach((stream) => stream.close()))

    const open = streams.filter((stream) => stream.status === 200)
    const refused = streams.filter((stream) => stream.status === 503)
    t.is(open.length, 2)
    t.is(refused.length, 18)
    t.is(server.latch.feed.subscriberCount, 2)

    const answer = await server.request('GET', '/events/stream', { headers: edge.headers })
    t.is(answer.status, 503)
    t.is(answer.body.error, 'temporarily_unavailable')

    open[0]!.close()
    const deadline = Date.now() + 5000
    while (server.latch.feed.subscriberCount > 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    const again = await EventStreamReader.open(server, edge)
    t.teardown(() => again.close())
    t.is(again.status, 200, 'a closed stream frees its slot')
  })
}
