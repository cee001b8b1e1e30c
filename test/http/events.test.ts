import test from 'ava'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import { eachDatabase } from '../helpers/each-database.js'
import { createEdge, onlyEvent, poll, verifySet, type Edge } from '../helpers/feed.js'
import { registerAndLogin, TEST_ISSUER, type TestLatch } from '../helpers/latch.js'
import { basic, postForm, registerClient } from '../helpers/oauth.js'

/**
 * GET /events: the revocation feed by polling (docs/revocation-feed.md). Every revocation appears
 * once, in cursor order, as a Security Event Token signed by the access-token key ring, with the
 * SSF/CAEP/RISC event type of its kind.
 */

const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked'
const ACCOUNT_DISABLED = 'https://schemas.openid.net/secevent/risc/event-type/account-disabled'
const ACCOUNT_ENABLED = 'https://schemas.openid.net/secevent/risc/event-type/account-enabled'
const ACCESS_TOKEN_REVOKED = 'urn:latch:secevent:access-token-revoked'

/** Every SET after `after`, following next_cursor until no more are available. */
async function readAll(server: TestLatch, edge: Edge, after: string): Promise<{ cursor: string; set: string }[]> {
  const all: { cursor: string; set: string }[] = []
  for (let cursor = after; ; ) {
    const response = await poll(server, edge, `?after=${cursor}&limit=2`)
    if (response.status !== 200) throw new Error(`poll failed: ${response.status} ${response.text}`)
    all.push(...response.body.sets)
    cursor = response.body.next_cursor
    if (!response.body.more_available) return all
  }
}

/** The cursor before anything a test is about to do. */
async function latestCursor(server: TestLatch, edge: Edge): Promise<string> {
  let cursor = (await poll(server, edge)).body.next_cursor as string
  for (let page = await poll(server, edge, `?after=${cursor}&limit=1000`); ; page = await poll(server, edge, `?after=${cursor}&limit=1000`)) {
    cursor = page.body.next_cursor
    if (!page.body.more_available) return cursor
  }
}

async function setsFor(server: TestLatch, edge: Edge, after: string, userId: string) {
  const payloads = await Promise.all((await readAll(server, edge, after)).map(async ({ cursor, set }) => ({ cursor, set, payload: await verifySet(server, set, TEST_ISSUER) })))
  return payloads.filter(({ payload }) => {
    const subject = payload.sub_id as { sub?: string; user?: { sub?: string } }
    return (subject.sub ?? subject.user?.sub) === userId
  })
}

eachDatabase((provider, server) => {
  test(`${provider}: only confidential clients authenticated with HTTP Basic may read the feed`, async (t) => {
    const edge = await createEdge(server())
    const app = await registerClient(server(), { type: 'public' })
    t.is((await server().request('GET', '/events')).status, 401, 'no credentials')
    t.is((await server().request('GET', '/events', { headers: basic(edge.clientId, 'latch_cs_wrong') })).status, 401, 'a wrong secret')
    const asPublic = await server().request('GET', '/events', { headers: basic(app.clientId, 'anything') })
    t.is(asPublic.status, 401, 'a public client')
    t.is(asPublic.body.error, 'invalid_client')
    t.is((await server().request('GET', '/events/stream')).status, 401, 'the stream too')
    const allowed = await poll(server(), edge)
    t.is(allowed.status, 200, allowed.text)
    t.is(allowed.headers.get('cache-control'), 'no-store')
  })

  test(`${provider}: logout, logout-all, lock, unlock and access-token revocation each publish their event, in order`, async (t) => {
    const edge = await createEdge(server())
    const before = await latestCursor(server(), edge)
    const user = await registerAndLogin(server())
    const { sid, jti } = decodeJwt(user.accessToken) as { sid: string; jti: string }

    t.is((await postForm(server(), '/oauth/revoke', { token: user.accessToken, client_id: 'latch-web' })).status, 200)
    t.is((await server().post('/logout', { refresh_token: user.refreshToken })).status, 204)
    const again = await registerAndLogin(server(), user.email).catch(() => null)
    t.is(again, null, 'the email is taken; log in again instead')
    const second = await server().post('/login', { email: user.email, password: 'correct horse battery staple' })
    t.is((await server().post('/logout-all', undefined, { authorization: `Bearer ${second.body.access_token}` })).status, 204)
    await server().latch.core.lockUser({ userId: user.userId, reason: 'fraud' }, OPERATOR_CONTEXT)
    await server().latch.core.unlockUser({ userId: user.userId }, OPERATOR_CONTEXT)

    const sets = await setsFor(server(), edge, before, user.userId)
    const cursors = sets.map(({ cursor }) => Number(cursor))
    t.deepEqual(cursors, [...cursors].sort((a, b) => a - b), 'cursors increase')
    t.is(new Set(cursors).size, cursors.length, 'each entry appears once')
    const summary = sets.map(({ payload }) => {
      const { type, event } = onlyEvent(payload)
      return { type, reason: (event.reason_admin as { en: string } | undefined)?.en, minVer: event.latch_min_ver, jti: event.jti }
    })
    t.deepEqual(summary, [
      { type: ACCESS_TOKEN_REVOKED, reason: undefined, minVer: undefined, jti },
      { type: SESSION_REVOKED, reason: 'logout', minVer: undefined, jti: undefined },
      { type: SESSION_REVOKED, reason: 'logout_all', minVer: 1, jti: undefined },
      { type: SESSION_REVOKED, reason: 'account_locked', minVer: 2, jti: undefined },
      { type: ACCOUNT_DISABLED, reason: 'account_locked', minVer: undefined, jti: undefined },
      { type: ACCOUNT_ENABLED, reason: undefined, minVer: undefined, jti: undefined },
    ])

    const [revokedToken, logout] = sets
    t.deepEqual(logout!.payload.sub_id, { format: 'complex', user: { format: 'iss_sub', iss: TEST_ISSUER, sub: user.userId }, session: { format: 'opaque', id: sid } })
    t.deepEqual(revokedToken!.payload.sub_id, { format: 'iss_sub', iss: TEST_ISSUER, sub: user.userId })
    for (const { cursor, set, payload } of sets) {
      t.is(payload.jti, cursor, 'the jti is the cursor')
      t.like(decodeProtectedHeader(set), { typ: 'secevent+jwt', kid: server().latch.keyRing.active.kid })
      const { event } = onlyEvent(payload)
      t.true(typeof event.event_timestamp === 'number' && event.event_timestamp === payload.iat)
      t.true((event.latch_expires_at as number) > (payload.iat as number), 'an entry expires after it was written')
    }
    const accessTokenEvent = onlyEvent(revokedToken!.payload).event
    t.is(accessTokenEvent.latch_expires_at, (decodeJwt(user.accessToken).exp as number) + 60, "a revoked access token's entry lasts until its exp plus the clock-skew allowance")
  })

  test(`${provider}: without a cursor the feed starts with a reset and the whole retained log`, async (t) => {
    const edge = await createEdge(server())
    const user = await registerAndLogin(server())
    await server().post('/logout', { refresh_token: user.refreshToken })
    const first = await poll(server(), edge, '?limit=1000')
    t.is(first.status, 200)
    t.true(first.body.reset)
    t.true(first.body.sets.length >= 1)
    t.is(Number(first.body.sets[0].cursor), Math.min(...first.body.sets.map((entry: { cursor: string }) => Number(entry.cursor))))
    const next = await poll(server(), edge, `?after=${first.body.next_cursor}`)
    t.false(next.body.reset, 'a cursor the server issued continues')
    t.true(next.body.sets.every((entry: { cursor: string }) => Number(entry.cursor) > Number(first.body.next_cursor)), 'and repeats nothing')
    t.true(Number(next.body.next_cursor) >= Number(first.body.next_cursor))
    const ahead = await poll(server(), edge, `?after=${Number(first.body.next_cursor) + 1000}`)
    t.true(ahead.body.reset, 'a cursor beyond the latest (another deployment, a restored backup) resets')
  })

  test(`${provider}: paging follows next_cursor and says when more is available`, async (t) => {
    const edge = await createEdge(server())
    const before = await latestCursor(server(), edge)
    for (let i = 0; i < 3; i++) {
      const user = await registerAndLogin(server())
      await server().post('/logout', { refresh_token: user.refreshToken })
    }
    const page = await poll(server(), edge, `?after=${before}&limit=2`)
    t.is(page.body.sets.length, 2)
    t.true(page.body.more_available)
    t.is(page.body.next_cursor, page.body.sets[1].cursor)
    t.true((await readAll(server(), edge, before)).length >= 3)
  })

  test(`${provider}: bad polling parameters are 400 invalid_request`, async (t) => {
    const edge = await createEdge(server())
    for (const query of ['?limit=0', '?limit=1001', '?limit=ten', '?after=-1', '?after=abc', '?after=1&after=2', '?unknown=1']) {
      const response = await poll(server(), edge, query)
      t.is(response.status, 400, query)
      t.is(response.body.error, 'invalid_request', query)
    }
    const badHeader = await server().request('GET', '/events/stream', { headers: { ...edge.headers, 'last-event-id': 'not-a-cursor' } })
    t.is(badHeader.status, 400)
  })

  test(`${provider}: the metadata names the feed endpoints`, async (t) => {
    const metadata = (await server().get('/.well-known/oauth-authorization-server')).body
    t.is(metadata.latch_events_endpoint, `${TEST_ISSUER}/events`)
    t.is(metadata.latch_events_stream_endpoint, `${TEST_ISSUER}/events/stream`)
  })
})
