import { randomUUID } from 'node:crypto'
import test from 'ava'
import { decodeJwt } from 'jose'
import { asUser } from '../helpers/admin.js'
import { eachDatabase } from '../helpers/each-database.js'
import { adminSession, login, registerAndLogin, type LoggedIn } from '../helpers/latch.js'

/** POST /admin/users/:id/sessions/:sessionId/revoke and /admin/users/:id/logout-all. */

const sessionOf = (who: LoggedIn) => decodeJwt(who.accessToken).sid as string

eachDatabase((provider, server) => {
  test(`${provider}: the session endpoints need an access token of a current admin`, async (t) => {
    const user = await registerAndLogin(server())
    for (const path of [`/admin/users/${user.userId}/sessions/${sessionOf(user)}/revoke`, `/admin/users/${user.userId}/logout-all`]) {
      const anonymous = await server().post(path)
      t.is(anonymous.status, 401, path)
      t.is(anonymous.body.error, 'invalid_token')
      const own = await asUser(server(), user).post(path)
      t.is(own.status, 403, `${path} as the user`)
      t.is(own.body.error, 'forbidden')
    }
    t.is((await server().post('/refresh', { refresh_token: user.refreshToken })).status, 200, 'nothing was revoked')
  })

  test(`${provider}: ids in upper case name the same user and session as in lower case (UUIDs are case-insensitive)`, async (t) => {
    const admin = await adminSession(server())
    const user = await registerAndLogin(server())
    const other = await login(server(), user.email, user.userId)
    const as = asUser(server(), admin)
    const USER = user.userId.toUpperCase()

    const details = await as.get(`/admin/users/${USER}`)
    t.is(details.status, 200, details.text)
    t.is(details.body.id, user.userId)
    const audit = await as.get(`/admin/audit?user_id=${USER}&type=user_created`)
    t.is(audit.status, 200, audit.text)
    t.deepEqual(audit.body.items.map((item: { user_id: string }) => item.user_id), [user.userId])

    const revoked = await as.post(`/admin/users/${USER}/sessions/${sessionOf(user).toUpperCase()}/revoke`)
    t.is(revoked.status, 204, revoked.text)
    t.is((await server().post('/refresh', { refresh_token: user.refreshToken })).status, 401, 'that session is revoked')
    t.is((await as.post(`/admin/users/${USER}/role`, { role: 'admin' })).body.role, 'admin')
    t.is((await as.post(`/admin/users/${USER}/logout-all`)).status, 204)
    t.is((await server().post('/refresh', { refresh_token: other.refreshToken })).status, 401, 'and every other one')
    t.is((await as.post(`/admin/users/${USER}/lock`, { reason: 'case test' })).body.id, user.userId)
    t.is((await as.post(`/admin/users/${USER}/unlock`)).body.locked_at, null)
  })

  test(`${provider}: revoking one session kills its refresh and access at once and leaves the others`, async (t) => {
    const admin = await adminSession(server())
    const phone = await registerAndLogin(server())
    const laptop = await login(server(), phone.email, phone.userId)
    const path = `/admin/users/${phone.userId}/sessions/${sessionOf(phone)}/revoke`

    const revoked = await asUser(server(), admin).post(path)
    t.is(revoked.status, 204, revoked.text)
    t.is((await server().get('/me', phone.accessToken)).status, 401, 'its access token fails live checks at once')
    t.is((await server().post('/refresh', { refresh_token: phone.refreshToken })).status, 401)
    t.is((await server().get('/me', laptop.accessToken)).status, 200, 'the other session is untouched')
    t.is((await server().post('/refresh', { refresh_token: laptop.refreshToken })).status, 200)

    const details = await asUser(server(), admin).get(`/admin/users/${phone.userId}`)
    t.deepEqual(details.body.sessions.map((session: { id: string }) => session.id), [sessionOf(laptop)])

    t.is((await asUser(server(), admin).post(path)).status, 204, 'idempotent')
    const prisma = server().latch.database.prisma
    t.is((await prisma.session.findUniqueOrThrow({ where: { id: sessionOf(phone) } })).revokeReason, 'admin')
    const outbox = await prisma.revocation.findMany({ where: { userId: phone.userId } })
    t.deepEqual(outbox.map((entry) => [entry.kind, entry.sessionId, entry.reason]), [['session', sessionOf(phone), 'admin']], 'one outbox row, not one per call')
    const events = await prisma.auditEvent.findMany({ where: { userId: phone.userId, type: 'session_revoked' } })
    t.is(events.length, 1)
    t.like(events[0], { actorId: admin.userId, ip: '127.0.0.1' })
    t.deepEqual(JSON.parse(events[0]!.detail!), { sessionId: sessionOf(phone) })
  })

  test(`${provider}: a session is only revoked through its own user`, async (t) => {
    const admin = await adminSession(server())
    const owner = await registerAndLogin(server())
    const stranger = await registerAndLogin(server())
    const cases = [
      [`/admin/users/${stranger.userId}/sessions/${sessionOf(owner)}/revoke`, 404, 'another user'],
      [`/admin/users/${owner.userId}/sessions/${randomUUID()}/revoke`, 404, 'an unknown session'],
      [`/admin/users/${randomUUID()}/sessions/${sessionOf(owner)}/revoke`, 404, 'an unknown user'],
      [`/admin/users/${owner.userId}/sessions/not-a-session/revoke`, 400, 'a malformed session id'],
      [`/admin/users/not-a-user/sessions/${sessionOf(owner)}/revoke`, 400, 'a malformed user id'],
    ] as const
    for (const [path, status, what] of cases) {
      const response = await asUser(server(), admin).post(path)
      t.is(response.status, status, what)
      t.is(response.body.error, status === 404 ? 'not_found' : 'invalid_request', what)
    }
    t.is((await server().post('/refresh', { refresh_token: owner.refreshToken })).status, 200, 'the session survived every wrong pair')
    t.is(await server().latch.database.prisma.revocation.count({ where: { userId: owner.userId } }), 0)
  })

  test(`${provider}: an admin logs a user out everywhere, as the user's own logout-all does`, async (t) => {
    const admin = await adminSession(server())
    const first = await registerAndLogin(server())
    const second = await login(server(), first.email, first.userId)
    const response = await asUser(server(), admin).post(`/admin/users/${first.userId}/logout-all`)
    t.is(response.status, 204, response.text)
    for (const session of [first, second]) {
      t.is((await server().post('/refresh', { refresh_token: session.refreshToken })).status, 401)
      t.is((await server().get('/me', session.accessToken)).status, 401)
    }
    t.is((await server().get('/me', admin.accessToken)).status, 200, "the admin's own session is untouched")

    const prisma = server().latch.database.prisma
    t.is((await prisma.user.findUniqueOrThrow({ where: { id: first.userId } })).refreshTokenVersion, 1)
    const outbox = await prisma.revocation.findMany({ where: { userId: first.userId } })
    t.deepEqual(outbox.map((entry) => [entry.kind, entry.minVersion, entry.reason]), [['user_version', 1, 'logout_all']])
    const events = await prisma.auditEvent.findMany({ where: { userId: first.userId, type: 'logout_all' } })
    t.is(events.length, 1)
    t.is(events[0]!.actorId, admin.userId, 'the admin is the actor')

    const unknown = await asUser(server(), admin).post(`/admin/users/${randomUUID()}/logout-all`)
    t.is(unknown.status, 404)
    t.is(unknown.body.error, 'not_found')
  })
})
