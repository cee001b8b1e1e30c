import { randomUUID } from 'node:crypto'
import test from 'ava'
import { decodeJwt } from 'jose'
import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import { asUser, forgedCursor, walkPages } from '../helpers/admin.js'
import { TestClock } from '../helpers/clock.js'
import { PROVIDERS } from '../helpers/databases.js'
import { eachDatabase } from '../helpers/each-database.js'
import { adminSession, login, PASSWORD, registerAndLogin, TestLatch, uniqueEmail } from '../helpers/latch.js'

/**
 * GET/POST /admin/users, GET /admin/users/:id and POST /admin/users/:id/role: listing and
 * searching accounts with keyset paging, a user's active sessions, creating accounts, roles.
 * The clock stands still, so many rows share a created_at and page boundaries have to break ties
 * by id.
 */

const clock = new TestClock()
const IDLE_TTL_SECONDS = 7 * 86_400

async function createUsers(server: TestLatch, emails: string[]) {
  const users = []
  for (const email of emails) users.push(await server.latch.core.createUser({ email, password: PASSWORD }, OPERATOR_CONTEXT))
  return users
}

eachDatabase(
  (provider, server) => {
    test(`${provider}: the user endpoints need an access token of a current admin`, async (t) => {
      const user = await registerAndLogin(server())
      const paths: Array<[string, string, unknown?]> = [
        ['GET', '/admin/users'],
        ['GET', `/admin/users/${user.userId}`],
        ['POST', '/admin/users', { email: uniqueEmail(), password: PASSWORD }],
        ['POST', `/admin/users/${user.userId}/role`, { role: 'admin' }],
      ]
      for (const [method, path, json] of paths) {
        const anonymous = await server().request(method, path, json === undefined ? {} : { json })
        t.is(anonymous.status, 401, `${method} ${path} without a token`)
        t.is(anonymous.body.error, 'invalid_token')
        const asPlainUser = method === 'GET' ? await asUser(server(), user).get(path) : await asUser(server(), user).post(path, json)
        t.is(asPlainUser.status, 403, `${method} ${path} as a user`)
        t.is(asPlainUser.body.error, 'forbidden')
      }
      t.is((await server().latch.database.prisma.user.findUniqueOrThrow({ where: { id: user.userId } })).role, 'user', 'nobody promoted themselves')
    })

    test(`${provider}: a walk of the pages returns every user exactly once, newest first`, async (t) => {
      const admin = await adminSession(server())
      const tag = randomUUID().slice(0, 8)
      const older = await createUsers(server(), [1, 2, 3].map((n) => `walk${n}-${tag}@example.com`))
      const newer = await createUsers(server(), [4, 5, 6, 7].map((n) => `walk${n}-${tag}@example.com`))
      // Backdated rather than moving the clock, which the other tests of this file share.
      const aSecondAgo = new Date(clock.now().getTime() - 1000)
      await server().latch.database.prisma.user.updateMany({ where: { id: { in: older.map((user) => user.id) } }, data: { createdAt: aSecondAgo } })

      const { items, pages } = await walkPages(server(), admin, `/admin/users?query=${tag}&limit=2`)
      t.is(pages, 4, '7 users in pages of 2')
      const byNewest = (users: typeof older) => users.map((user) => user.id).sort().reverse()
      // created_at descending, then id descending within a millisecond.
      t.deepEqual(items.map((item) => item.id), [...byNewest(newer), ...byNewest(older)])

      const everyone = await walkPages(server(), admin, '/admin/users?limit=3')
      const ids = everyone.items.map((item) => item.id)
      t.is(new Set(ids).size, ids.length, 'no user twice')
      for (const user of [...older, ...newer, { id: admin.userId }]) t.true(ids.includes(user.id))
    })

    test(`${provider}: one page holds at most the limit and says whether more follow`, async (t) => {
      const admin = await adminSession(server())
      const tag = randomUUID().slice(0, 8)
      await createUsers(server(), [1, 2].map((n) => `limit${n}-${tag}@example.com`))
      const one = await asUser(server(), admin).get(`/admin/users?query=${tag}&limit=1`)
      t.is(one.status, 200, one.text)
      t.is(one.body.items.length, 1)
      t.is(typeof one.body.next_cursor, 'string')
      const all = await asUser(server(), admin).get(`/admin/users?query=${tag}&limit=100`)
      t.is(all.body.items.length, 2)
      t.is(all.body.next_cursor, null)
      const exact = await asUser(server(), admin).get(`/admin/users?query=${tag}&limit=2`)
      t.is(exact.body.next_cursor, null, 'a page that ends exactly at the last user is the last page')
      t.is(all.headers.get('cache-control'), 'no-store')
    })

    test(`${provider}: the OpenAPI document lists the query parameters the listing validates`, async (t) => {
      const { body } = await server().get('/openapi.json')
      const parameters = body.paths['/admin/users'].get.parameters as Array<{ name: string; in: string; required: boolean }>
      t.deepEqual(parameters.map(({ name, in: where, required }) => [name, where, required]), [
        ['query', 'query', false],
        ['limit', 'query', false],
        ['cursor', 'query', false],
      ])
    })

    test(`${provider}: malformed or out-of-range paging is refused with invalid_request`, async (t) => {
      const admin = await adminSession(server())
      const bad = [
        'limit=0',
        'limit=101',
        'limit=abc',
        'limit=1.5',
        'limit=-1',
        'limit=',
        'limit=1&limit=2',
        'cursor=',
        'cursor=not%20base64!',
        `cursor=${forgedCursor({})}`,
        `cursor=${forgedCursor([1])}`,
        `cursor=${forgedCursor([1, 2])}`,
        `cursor=${forgedCursor(['yesterday', 'x'])}`,
        // Instants PostgreSQL's timestamp cannot hold (before year 1) and past year 9999.
        `cursor=${forgedCursor([-62_135_596_800_001, randomUUID()])}`,
        `cursor=${forgedCursor([-8_640_000_000_000_000, randomUUID()])}`,
        `cursor=${forgedCursor([253_402_300_800_000, randomUUID()])}`,
        `cursor=${'A'.repeat(401)}`,
        `query=${'a'.repeat(255)}`,
        'page=2',
      ]
      for (const query of bad) {
        const response = await asUser(server(), admin).get(`/admin/users?${query}`)
        t.is(response.status, 400, query)
        t.is(response.body.error, 'invalid_request', query)
      }
      // The ends of the range are cursors like any other.
      for (const millis of [-62_135_596_800_000, 253_402_300_799_999]) {
        const response = await asUser(server(), admin).get(`/admin/users?cursor=${forgedCursor([millis, randomUUID()])}`)
        t.is(response.status, 200, `${millis}: ${response.text}`)
      }
    })

    test(`${provider}: search matches a piece of the email in any case, and literally`, async (t) => {
      const admin = await adminSession(server())
      const tag = randomUUID().slice(0, 8)
      const [underscore, percent] = await createUsers(server(), [`Under_Score-${tag}@Example.com`, `per%cent-${tag}@example.com`])
      await createUsers(server(), [`underXscore-${tag}@example.com`, `perXXcent-${tag}@example.com`])
      const search = async (query: string) => {
        const response = await asUser(server(), admin).get(`/admin/users?query=${encodeURIComponent(query)}`)
        t.is(response.status, 200, response.text)
        return response.body.items.map((item: { email: string }) => item.email).sort()
      }
      t.deepEqual(await search(`UNDER_SCORE-${tag}`), [underscore!.email], '_ is no wildcard, and case does not matter')
      t.deepEqual(await search(`r%c`), [percent!.email], '% is no wildcard')
      t.is((await search(tag)).length, 4)
      t.deepEqual(await search(`nobody-${tag}`), [])
    })

    test(`${provider}: list items carry id, email, role, lock state and created_at`, async (t) => {
      const admin = await adminSession(server())
      const user = await registerAndLogin(server())
      await asUser(server(), admin).post(`/admin/users/${user.userId}/lock`, { reason: 'chargeback' })
      const response = await asUser(server(), admin).get(`/admin/users?query=${encodeURIComponent(user.email)}`)
      t.is(response.body.items.length, 1)
      const [item] = response.body.items
      t.deepEqual(Object.keys(item).sort(), ['created_at', 'email', 'id', 'lock_reason', 'locked_at', 'role'])
      t.like(item, { id: user.userId, email: user.email, role: 'user', lock_reason: 'chargeback', created_at: clock.now().toISOString() })
      t.is(typeof item.locked_at, 'string')
    })

    test(`${provider}: a user's page lists exactly the sessions that could still refresh`, async (t) => {
      const admin = await adminSession(server())
      const [created] = await createUsers(server(), [uniqueEmail()])
      const user = { userId: created!.id, email: created!.email }
      const agent = (name: string) => server().request('POST', '/login', { json: { email: user.email, password: PASSWORD }, headers: { 'user-agent': name } })
      const sid = (response: { body: { access_token: string } }) => decodeJwt(response.body.access_token).sid as string
      const phone = await agent('Phone/1')
      const laptop = await agent('Laptop/2')
      const loggedOut = await agent('Kiosk/3')
      const idle = await agent('Old tablet/4')
      const expired = await agent('Ancient/5')
      await server().post('/logout', { refresh_token: loggedOut.body.refresh_token })
      const prisma = server().latch.database.prisma
      // Past the idle lifetime by the session policy, though neither revoked nor past its absolute end.
      await prisma.session.update({ where: { id: sid(idle) }, data: { lastUsedAt: new Date(clock.now().getTime() - (IDLE_TTL_SECONDS + 1) * 1000) } })
      await prisma.session.update({ where: { id: sid(expired) }, data: { expiresAt: new Date(clock.now().getTime() - 1000) } })

      const response = await asUser(server(), admin).get(`/admin/users/${user.userId}`)
      t.is(response.status, 200, response.text)
      t.like(response.body, { id: user.userId, email: user.email, role: 'user', locked_at: null, lock_reason: null })
      const sessions = response.body.sessions as Array<Record<string, unknown>>
      t.deepEqual(sessions.map((session) => session.user_agent).sort(), ['Laptop/2', 'Phone/1'])
      const phoneSession = sessions.find((session) => session.id === sid(phone))!
      t.deepEqual(Object.keys(phoneSession).sort(), ['client_id', 'created_at', 'expires_at', 'id', 'ip', 'last_used_at', 'user_agent'])
      t.like(phoneSession, { ip: '127.0.0.1', client_id: 'latch-web', created_at: clock.now().toISOString(), last_used_at: clock.now().toISOString() })
      t.is(phoneSession.expires_at, new Date(clock.now().getTime() + 30 * 86_400_000).toISOString())
      t.true(sessions.some((session) => session.id === sid(laptop)))
      t.false(JSON.stringify(response.body).includes(phone.body.refresh_token), 'no token material')
    })

    test(`${provider}: unknown users are not found and malformed ids are refused`, async (t) => {
      const admin = await adminSession(server())
      const unknown = await asUser(server(), admin).get(`/admin/users/${randomUUID()}`)
      t.is(unknown.status, 404)
      t.is(unknown.body.error, 'not_found')
      t.is((await asUser(server(), admin).post(`/admin/users/${randomUUID()}/role`, { role: 'admin' })).status, 404)
      const malformed = await asUser(server(), admin).get('/admin/users/not-a-uuid')
      t.is(malformed.status, 400)
      t.is(malformed.body.error, 'invalid_request')
    })

    test(`${provider}: an admin creates accounts of any role, recorded with the admin as actor`, async (t) => {
      const admin = await adminSession(server())
      const email = uniqueEmail('made')
      const created = await asUser(server(), admin).post('/admin/users', { email: email.toUpperCase(), password: PASSWORD, role: 'admin' })
      t.is(created.status, 201, created.text)
      t.like(created.body, { email, role: 'admin', locked_at: null, lock_reason: null })
      const newAdmin = await login(server(), email, created.body.id)
      t.is((await asUser(server(), newAdmin).get('/admin/users?limit=1')).status, 200, 'the new admin is an admin')

      const plain = await asUser(server(), admin).post('/admin/users', { email: uniqueEmail('made'), password: PASSWORD })
      t.is(plain.body.role, 'user', 'role defaults to user')

      const events = await server().latch.database.prisma.auditEvent.findMany({ where: { userId: created.body.id, type: 'user_created' } })
      t.is(events.length, 1)
      t.like(events[0], { actorId: admin.userId, ip: '127.0.0.1' })
      t.deepEqual(JSON.parse(events[0]!.detail!), { role: 'admin' })
      t.false(JSON.stringify(events).includes(PASSWORD))

      t.is((await asUser(server(), admin).post('/admin/users', { email, password: PASSWORD })).body.error, 'email_taken')
      for (const body of [{ email: uniqueEmail(), password: 'short' }, { email: 'nope', password: PASSWORD }, { email: uniqueEmail(), password: PASSWORD, role: 'root' }, { email: uniqueEmail(), password: PASSWORD, extra: 1 }, { email: uniqueEmail() }]) {
        const response = await asUser(server(), admin).post('/admin/users', body)
        t.is(response.status, 400, JSON.stringify(body))
        t.is(response.body.error, 'invalid_request')
      }
    })

    test(`${provider}: a role change takes effect at the next request and is audited with from and to`, async (t) => {
      const admin = await adminSession(server())
      const user = await registerAndLogin(server())
      const promoted = await asUser(server(), admin).post(`/admin/users/${user.userId}/role`, { role: 'admin' })
      t.is(promoted.status, 200, promoted.text)
      t.like(promoted.body, { id: user.userId, role: 'admin' })
      t.is((await asUser(server(), user).get('/admin/users?limit=1')).status, 200, 'the same access token now has admin power')

      const demoted = await asUser(server(), admin).post(`/admin/users/${user.userId}/role`, { role: 'user' })
      t.is(demoted.body.role, 'user')
      t.is((await asUser(server(), user).get('/admin/users?limit=1')).status, 403, 'and loses it at once')
      t.is((await server().get('/me', user.accessToken)).status, 200, 'a role change ends no session')

      t.is((await asUser(server(), admin).post(`/admin/users/${user.userId}/role`, { role: 'user' })).status, 200, 'the current role again is fine')
      const events = await server().latch.database.prisma.auditEvent.findMany({ where: { userId: user.userId, type: 'role_changed' }, orderBy: { id: 'asc' } })
      t.deepEqual(events.map((event) => JSON.parse(event.detail!)), [{ from: 'user', to: 'admin' }, { from: 'admin', to: 'user' }], 'and records nothing')
      t.true(events.every((event) => event.actorId === admin.userId))

      for (const body of [{}, { role: 'root' }, { role: 'admin', force: 'yes' }, { role: 'admin', extra: true }]) {
        const response = await asUser(server(), admin).post(`/admin/users/${user.userId}/role`, body)
        t.is(response.status, 400, JSON.stringify(body))
      }
    })
  },
  { clock },
)

// "The last unlocked admin" is a fact about the whole database, so these tests get one of their own.
for (const provider of PROVIDERS) {
  test(`${provider}: the last unlocked admin is neither demoted nor locked without force`, async (t) => {
    const server = await TestLatch.start(provider, { env: { LATCH_REGISTRATION: 'closed' } })
    t.teardown(() => server.close())
    const prisma = server.latch.database.prisma
    const root = await adminSession(server)
    const refused = async (response: { status: number; body: { error: string } }, what: string) => {
      t.is(response.status, 409, what)
      t.is(response.body.error, 'last_admin', what)
    }

    await refused(await asUser(server, root).post(`/admin/users/${root.userId}/role`, { role: 'user' }), 'demoting the only admin')
    await refused(await asUser(server, root).post(`/admin/users/${root.userId}/lock`, { reason: 'oops' }), 'locking the only admin')
    t.like(await prisma.user.findUniqueOrThrow({ where: { id: root.userId } }), { role: 'admin', lockedAt: null, refreshTokenVersion: 0 })
    t.is((await server.get('/me', root.accessToken)).status, 200, 'the refused lock revoked nothing')
    t.is(await prisma.auditEvent.count({ where: { type: { in: ['role_changed', 'user_locked'] } } }), 0, 'and recorded nothing')

    t.is((await server.post('/register', { email: uniqueEmail(), password: PASSWORD })).status, 403, 'registration is closed')
    const created = await asUser(server, root).post('/admin/users', { email: uniqueEmail('second'), password: PASSWORD, role: 'admin' })
    t.is(created.status, 201, 'but an admin still creates accounts')
    const second = await login(server, created.body.email, created.body.id)

    t.is((await asUser(server, second).post(`/admin/users/${root.userId}/role`, { role: 'user' })).status, 200, 'with two admins, one may go')
    await refused(await asUser(server, second).post(`/admin/users/${second.userId}/role`, { role: 'user' }), 'then the other is the last')
    t.is((await asUser(server, second).post(`/admin/users/${root.userId}/role`, { role: 'admin' })).status, 200)
    t.is((await asUser(server, second).post(`/admin/users/${root.userId}/lock`, { reason: 'left the company' })).status, 200)
    await refused(await asUser(server, second).post(`/admin/users/${second.userId}/lock`, { reason: 'x' }), 'a locked admin does not count')

    const forced = await asUser(server, second).post(`/admin/users/${second.userId}/role`, { role: 'user', force: true })
    t.is(forced.status, 200, forced.text)
    t.is(forced.body.role, 'user')
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { userId: second.userId, type: 'role_changed' } })
    t.deepEqual(JSON.parse(event.detail!), { force: true, from: 'admin', to: 'user' })
    t.is((await asUser(server, second).get('/admin/users')).status, 403, 'no admin is left: force means it')
  })
}
