import { randomUUID } from 'node:crypto'
import test from 'ava'
import { decodeJwt } from 'jose'
import { asUser, forgedCursor, walkPages } from '../helpers/admin.js'
import { TestClock } from '../helpers/clock.js'
import { eachDatabase } from '../helpers/each-database.js'
import { adminSession, login, PASSWORD, registerAndLogin, type LoggedIn, type TestLatch } from '../helpers/latch.js'

/**
 * GET /admin/audit: the audit trail, newest first, by user and event type. The clock stands
 * still, so every event shares one created_at and the order and the page boundaries rest on the
 * id tie-break.
 */

const clock = new TestClock()

/** A user whose story is known: created, logged in twice, failed once, then acted on by an admin. */
async function storyOf(server: TestLatch, admin: LoggedIn) {
  const user = await registerAndLogin(server)
  const second = await login(server, user.email, user.userId)
  await server.post('/login', { email: user.email, password: 'not the password' })
  const as = asUser(server, admin)
  await as.post(`/admin/users/${user.userId}/sessions/${decodeJwt(second.accessToken).sid}/revoke`)
  await as.post(`/admin/users/${user.userId}/role`, { role: 'admin' })
  await as.post(`/admin/users/${user.userId}/lock`, { reason: 'audit test' })
  await as.post(`/admin/users/${user.userId}/unlock`)
  return user
}

const STORY_NEWEST_FIRST = ['user_unlocked', 'user_locked', 'role_changed', 'session_revoked', 'login_failed', 'login_succeeded', 'login_succeeded', 'user_created']

eachDatabase(
  (provider, server) => {
    test(`${provider}: the audit trail needs an access token of a current admin`, async (t) => {
      const user = await registerAndLogin(server())
      const anonymous = await server().get('/admin/audit')
      t.is(anonymous.status, 401)
      t.is(anonymous.body.error, 'invalid_token')
      const own = await asUser(server(), user).get(`/admin/audit?user_id=${user.userId}`)
      t.is(own.status, 403, 'not even about oneself')
      t.is(own.body.error, 'forbidden')
    })

    test(`${provider}: a user's events come newest first, with the admin as the actor of what the admin did`, async (t) => {
      const admin = await adminSession(server())
      const user = await storyOf(server(), admin)
      const response = await asUser(server(), admin).get(`/admin/audit?user_id=${user.userId}`)
      t.is(response.status, 200, response.text)
      t.is(response.body.next_cursor, null)
      const items = response.body.items as Array<Record<string, any>>
      t.deepEqual(items.map((item) => item.type), STORY_NEWEST_FIRST)
      t.true(items.every((item) => item.user_id === user.userId))

      const byType = (type: string) => items.find((item) => item.type === type)!
      for (const type of ['user_unlocked', 'user_locked', 'role_changed', 'session_revoked']) {
        t.is(byType(type).actor_id, admin.userId, `${type} names the admin`)
      }
      t.is(byType('user_created').actor_id, null, 'self-registration has no authenticated actor')
      t.deepEqual(Object.keys(byType('user_locked')).sort(), ['actor_id', 'created_at', 'detail', 'id', 'ip', 'type', 'user_agent', 'user_id'])
      t.like(byType('user_locked'), { ip: '127.0.0.1', created_at: clock.now().toISOString(), detail: { reason: 'audit test' } })
      t.deepEqual(byType('role_changed').detail, { from: 'user', to: 'admin' }, 'detail is a parsed object')
      t.deepEqual(byType('login_failed').detail, { email: user.email, reason: 'wrong password' })
      t.deepEqual(byType('user_unlocked').detail, {}, 'no detail is an empty object')
      t.false(response.text.includes(PASSWORD) || response.text.includes(user.refreshToken), 'no secrets')
    })

    test(`${provider}: filters by event type, alone or with a user`, async (t) => {
      const admin = await adminSession(server())
      const user = await storyOf(server(), admin)
      const both = await asUser(server(), admin).get(`/admin/audit?user_id=${user.userId}&type=login_succeeded`)
      t.deepEqual(both.body.items.map((item: { type: string }) => item.type), ['login_succeeded', 'login_succeeded'])

      const anyone = await asUser(server(), admin).get('/admin/audit?type=role_changed&limit=100')
      t.true(anyone.body.items.length >= 1)
      t.true(anyone.body.items.every((item: { type: string }) => item.type === 'role_changed'))
      t.true(anyone.body.items.some((item: { user_id: string }) => item.user_id === user.userId))

      const nobody = await asUser(server(), admin).get(`/admin/audit?user_id=${randomUUID()}`)
      t.deepEqual(nobody.body, { items: [], next_cursor: null }, 'an unknown user simply has no events')
    })

    test(`${provider}: a walk one event per page returns each event once, in the same order`, async (t) => {
      const admin = await adminSession(server())
      const user = await storyOf(server(), admin)
      const { items, pages } = await walkPages(server(), admin, `/admin/audit?user_id=${user.userId}&limit=1`)
      t.is(pages, STORY_NEWEST_FIRST.length)
      t.deepEqual(items.map((item) => item.type), STORY_NEWEST_FIRST)
      const ids = items.map((item) => item.id)
      t.deepEqual(ids, [...ids].sort((a, b) => b - a), 'ties on created_at are broken by id, newest first')
    })

    test(`${provider}: unknown types, malformed ids and bad paging are refused with invalid_request`, async (t) => {
      const admin = await adminSession(server())
      await registerAndLogin(server())
      const usersCursor = (await asUser(server(), admin).get('/admin/users?limit=1')).body.next_cursor as string
      t.is(typeof usersCursor, 'string')
      const bad = [
        'type=bogus',
        // Never recorded (a key activates by time alone), so not a type to filter by.
        'type=signing_key_activated',
        'type=',
        'type=login_failed&type=logout',
        'user_id=not-a-uuid',
        'limit=0',
        'limit=101',
        'limit=ten',
        'cursor=%%%',
        `cursor=${forgedCursor([Date.now(), 'abc'])}`,
        `cursor=${usersCursor}`,
        // Audit ids are PostgreSQL integers, 1 to 2^31-1; instants fit its timestamp (year 1 to 9999).
        `cursor=${forgedCursor([Date.now(), 2_147_483_648])}`,
        `cursor=${forgedCursor([Date.now(), Number.MAX_SAFE_INTEGER])}`,
        `cursor=${forgedCursor([Date.now(), 0])}`,
        `cursor=${forgedCursor([Date.now(), -1])}`,
        `cursor=${forgedCursor([-62_135_596_800_001, 1])}`,
        `cursor=${forgedCursor([253_402_300_800_000, 1])}`,
        'actor_id=cli',
      ]
      for (const query of bad) {
        const response = await asUser(server(), admin).get(`/admin/audit?${query}`)
        t.is(response.status, 400, query)
        t.is(response.body.error, 'invalid_request', query)
      }
      const highest = await asUser(server(), admin).get(`/admin/audit?cursor=${forgedCursor([Date.now(), 2_147_483_647])}`)
      t.is(highest.status, 200, highest.text)
    })
  },
  { clock },
)
