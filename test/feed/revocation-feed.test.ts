import test from 'ava'
import pg from 'pg'
import { decodeJwt } from 'jose'
import { TestClock } from '../helpers/clock.js'
import { POSTGRES_URL, PROVIDERS } from '../helpers/databases.js'
import { createEdge, EventStreamReader, poll } from '../helpers/feed.js'
import { registerAndLogin, TestLatch } from '../helpers/latch.js'

/**
 * The feed stays small whatever the traffic: entries leave once no access token they could affect
 * can be accepted, oldest first, and a reader left behind the pruned log is reset. And a replica
 * only vouches for what it has read: when the log cannot be read, heartbeats stop.
 */

for (const provider of PROVIDERS) {
  test(`${provider}: expired entries are pruned oldest first, the latest stays, and a reader behind the log is reset`, async (t) => {
    const clock = new TestClock()
    const server = await TestLatch.start(provider, { clock, env: { LATCH_ACCESS_TOKEN_TTL: '60' } })
    t.teardown(() => server.close())
    const edge = await createEdge(server)
    const logOut = async () => {
      const user = await registerAndLogin(server)
      await server.post('/logout', { refresh_token: user.refreshToken })
      return String(decodeJwt(user.accessToken).sid)
    }
    await logOut()
    await logOut()
    const start = await poll(server, edge, '?limit=1000')
    t.is(start.body.sets.length, 2)
    const oldCursor = start.body.sets[0].cursor as string

    // One access-token lifetime (60 s) plus the 60 s clock-skew allowance later, both have expired.
    clock.advance(121)
    const fresh = await logOut()
    t.is(await server.latch.feed.prune().then(() => server.latch.database.prisma.revocation.count()), 1, 'only the live entry is left')

    const behind = await poll(server, edge, `?after=${oldCursor}`)
    t.true(behind.body.reset, 'the entry after this cursor was pruned: the reader must rebuild')
    t.is(behind.body.sets.length, 1)
    t.true(JSON.stringify(decodeJwt(behind.body.sets[0].set).sub_id).includes(fresh))

    clock.advance(121)
    await server.latch.feed.prune()
    t.is(await server.latch.database.prisma.revocation.count(), 1, 'the latest entry is kept even when expired: it carries the latest cursor')
    const caughtUp = await poll(server, edge, `?after=${behind.body.next_cursor}`)
    t.false(caughtUp.body.reset, 'a reader at the latest cursor is not reset by pruning')
  })
}

if (PROVIDERS.includes('postgresql')) {
  test('postgresql: while the log cannot be read, heartbeats stop; they resume once it can', async (t) => {
    const server = await TestLatch.start('postgresql', { env: { LATCH_FEED_HEARTBEAT: '1' } })
    t.teardown(() => server.close())
    const edge = await createEdge(server)
    const stream = await EventStreamReader.open(server, edge)
    t.teardown(() => stream.close())
    await stream.waitFor((messages) => messages.some((message) => message.event === 'heartbeat'))

    const schema = new URL(server.database!.url).searchParams.get('schema')!
    const admin = new pg.Client({ connectionString: POSTGRES_URL })
    await admin.connect()
    t.teardown(() => admin.end())
    await admin.query(`ALTER TABLE "${schema}".revocations RENAME TO revocations_unreadable`)
    // Heartbeats already under way may still arrive; after a few seconds of failed reads none may.
    await new Promise((resolve) => setTimeout(resolve, 4500))
    const countBefore = stream.messages.length
    await new Promise((resolve) => setTimeout(resolve, 3000))
    t.is(stream.messages.length, countBefore, 'no heartbeat vouches for a log that cannot be read')

    await admin.query(`ALTER TABLE "${schema}".revocations_unreadable RENAME TO revocations`)
    await stream.waitFor((messages) => messages.length > countBefore && messages.at(-1)!.event === 'heartbeat', 5000)
    t.pass('heartbeats resume')
  })
}
