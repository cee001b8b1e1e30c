import test from 'ava'
import { decodeJwt } from 'jose'
import { eachDatabase } from '../helpers/each-database.js'
import { createEdge, EventStreamReader, onlyEvent, verifySet, type StreamMessage } from '../helpers/feed.js'
import { registerAndLogin, TEST_ISSUER, TestLatch } from '../helpers/latch.js'
import { PROVIDERS } from '../helpers/databases.js'

/**
 * GET /events/stream: the revocation feed as Server-Sent Events. A reader starting from scratch
 * is reset and gets the full current set, then a heartbeat that marks it caught up; revocations
 * arrive as they commit; a reader that reconnects with Last-Event-ID gets exactly what it missed.
 */

const heartbeats = (messages: StreamMessage[]) => messages.filter((message) => message.event === 'heartbeat')

eachDatabase((provider, server) => {
  test(`${provider}: a fresh reader is reset, gets the retained log, then a heartbeat; then revocations as they commit`, async (t) => {
    const edge = await createEdge(server())
    const stream = await EventStreamReader.open(server(), edge)
    t.teardown(() => stream.close())
    t.is(stream.status, 200)
    t.regex(stream.contentType ?? '', /^text\/event-stream/)
    await stream.waitFor((messages) => heartbeats(messages).length >= 1)
    t.is(stream.messages[0]!.event, 'reset', 'no cursor: the reader is reset first')
    const firstBeat = JSON.parse(heartbeats(stream.messages)[0]!.data)
    const backlog = stream.sets()
    t.is(firstBeat.cursor, backlog.at(-1)?.id ?? firstBeat.cursor, 'the heartbeat names the last cursor delivered')
    t.is(typeof firstBeat.time, 'number')

    const user = await registerAndLogin(server())
    const { sid } = decodeJwt(user.accessToken)
    t.is((await server().post('/logout', { refresh_token: user.refreshToken })).status, 204)
    await stream.waitFor((messages) => messages.some((message) => message.event === 'set' && decodeJwt(message.data).sub_id !== undefined && JSON.stringify(decodeJwt(message.data).sub_id).includes(String(sid))))
    const arrived = stream.sets().find((message) => JSON.stringify(decodeJwt(message.data).sub_id).includes(String(sid)))!
    const payload = await verifySet(server(), arrived.data, TEST_ISSUER)
    t.is(payload.jti, arrived.id, 'the SSE id is the cursor, and the SET says so too')
    t.is(onlyEvent(payload).type, 'https://schemas.openid.net/secevent/caep/event-type/session-revoked')
    const ids = stream.sets().map((message) => Number(message.id))
    t.deepEqual(ids, [...ids].sort((a, b) => a - b), 'in cursor order')
    await stream.waitFor((messages) => heartbeats(messages).some((beat) => JSON.parse(beat.data).cursor === arrived.id), 5000)
    t.pass('a heartbeat follows the new entry')
  })

  test(`${provider}: a reader resuming with Last-Event-ID gets exactly what it missed, without a reset`, async (t) => {
    const edge = await createEdge(server())
    const first = await EventStreamReader.open(server(), edge)
    await first.waitFor((messages) => heartbeats(messages).length >= 1)
    const resumeFrom = JSON.parse(heartbeats(first.messages).at(-1)!.data).cursor as string
    first.close()

    const missed: string[] = []
    for (let i = 0; i < 3; i++) {
      const user = await registerAndLogin(server())
      await server().post('/logout', { refresh_token: user.refreshToken })
      missed.push(String(decodeJwt(user.accessToken).sid))
    }
    const second = await EventStreamReader.open(server(), edge, { 'last-event-id': resumeFrom })
    t.teardown(() => second.close())
    await second.waitFor((messages) => missed.every((sid) => messages.some((message) => message.event === 'set' && message.data && JSON.stringify(decodeJwt(message.data).sub_id).includes(sid))))
    t.false(second.messages.some((message) => message.event === 'reset'), 'a cursor the server issued resumes')
    t.true(second.sets().every((message) => Number(message.id) > Number(resumeFrom)), 'nothing before the cursor is sent again')
    const ids = second.sets().map((message) => message.id)
    t.is(new Set(ids).size, ids.length, 'nothing is sent twice')
  })

  test(`${provider}: ?after= resumes like Last-Event-ID, and a cursor from elsewhere resets`, async (t) => {
    const edge = await createEdge(server())
    const ahead = await EventStreamReader.open(server(), edge, {}, '?after=999999999')
    t.teardown(() => ahead.close())
    await ahead.waitFor((messages) => heartbeats(messages).length >= 1)
    t.is(ahead.messages[0]!.event, 'reset')
  })
})

for (const provider of PROVIDERS) {
  test(`${provider}: shutting a replica down ends its streams, so readers reconnect elsewhere`, async (t) => {
    const server = await TestLatch.start(provider)
    const edge = await createEdge(server)
    const stream = await EventStreamReader.open(server, edge)
    await stream.waitFor((messages) => heartbeats(messages).length >= 1)
    server.latch.closeStreams()
    await stream.waitFor(() => stream.ended, 5000)
    t.true(stream.ended)
    await server.close()
  })
}
