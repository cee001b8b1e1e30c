import test from 'ava'
import { decodeJwt } from 'jose'
import { PROVIDERS } from '../helpers/databases.js'
import { createEdge, EventStreamReader, poll } from '../helpers/feed.js'
import { registerAndLogin, TestLatch } from '../helpers/latch.js'

/**
 * Several replicas share one PostgreSQL database. A revocation committed through one reaches
 * streams held by another through LISTEN/NOTIFY, and cursors grow in commit order even when
 * replicas revoke at the same moment, so no reader ever skips an entry.
 */

const postgres = PROVIDERS.includes('postgresql') ? test : test.skip
if (!PROVIDERS.includes('postgresql')) process.stderr.write('[latch tests] replicas: PostgreSQL unreachable, the replica tests are skipped\n')

postgres('a revocation through one replica reaches a stream on another by NOTIFY, not by its poll', async (t) => {
  const a = await TestLatch.start('postgresql')
  // B reads the log only when notified: its poll and heartbeat reads are an hour and a minute apart.
  const b = await TestLatch.start('postgresql', { databaseUrl: a.database!.url, env: { LATCH_FEED_POLL_INTERVAL: '3600', LATCH_FEED_HEARTBEAT: '60' } })
  t.teardown(async () => {
    await b.close()
    await a.close()
  })
  const edge = await createEdge(a)
  const stream = await EventStreamReader.open(b, edge)
  t.teardown(() => stream.close())
  await stream.waitFor((messages) => messages.some((message) => message.event === 'heartbeat'))

  const latencies: number[] = []
  for (let i = 0; i < 3; i++) {
    const user = await registerAndLogin(a)
    const sid = String(decodeJwt(user.accessToken).sid)
    const started = performance.now()
    t.is((await a.post('/logout', { refresh_token: user.refreshToken })).status, 204)
    await stream.waitFor((messages) => messages.some((message) => message.event === 'set' && JSON.stringify(decodeJwt(message.data).sub_id).includes(sid)), 10_000)
    latencies.push(performance.now() - started)
  }
  t.log(`revocation through A seen on B's stream after ${latencies.map((ms) => ms.toFixed(0)).join(', ')} ms`)
})

postgres('replicas revoking at the same moment: every entry reaches the stream once, in increasing cursor order', async (t) => {
  const a = await TestLatch.start('postgresql')
  const b = await TestLatch.start('postgresql', { databaseUrl: a.database!.url })
  t.teardown(async () => {
    await b.close()
    await a.close()
  })
  const edge = await createEdge(a)
  const stream = await EventStreamReader.open(b, edge)
  t.teardown(() => stream.close())
  await stream.waitFor((messages) => messages.some((message) => message.event === 'heartbeat'))
  const start = Number(JSON.parse(stream.messages.filter((message) => message.event === 'heartbeat').at(-1)!.data).cursor)

  const users = await Promise.all(Array.from({ length: 12 }, (_, index) => registerAndLogin(index % 2 ? a : b)))
  await Promise.all(users.map((user, index) => (index % 2 ? b : a).post('/logout-all', undefined, { authorization: `Bearer ${user.accessToken}` })))

  const committed = (await poll(a, edge, `?after=${start}&limit=1000`)).body.sets.map((entry: { cursor: string }) => entry.cursor) as string[]
  t.is(committed.length, users.length)
  await stream.waitFor((messages) => committed.every((cursor) => messages.some((message) => message.id === cursor)), 10_000)
  const streamed = stream.sets().map((message) => message.id!).filter((id) => Number(id) > start)
  t.deepEqual(streamed, committed, 'the stream delivered exactly the committed entries, in cursor order, each once')
})
