import { randomUUID } from 'node:crypto'
import test from 'ava'
import { eachDatabase } from '../helpers/each-database.js'
import { adminSession, login, registerAndLogin, type LoggedIn } from '../helpers/latch.js'
import type { TestLatch } from '../helpers/latch.js'

/** POST /admin/users/:id/lock and /unlock: an admin takes access back, at once. */

function asAdmin(server: TestLatch, admin: LoggedIn, path: string, json?: unknown) {
  return server.request('POST', path, { headers: { authorization: `Bearer ${admin.accessToken}` }, ...(json === undefined ? {} : { json }) })
}

eachDatabase((provider, server) => {
  test(`${provider}: locking stops the user's refresh and access tokens immediately`, async (t) => {
    const admin = await adminSession(server())
    const user = await registerAndLogin(server())
    const otherDevice = await login(server(), user.email, user.userId)

    const locked = await asAdmin(server(), admin, `/admin/users/${user.userId}/lock`, { reason: 'chargeback fraud' })
    t.is(locked.status, 200, locked.text)
    t.like(locked.body, { id: user.userId, email: user.email, lock_reason: 'chargeback fraud' })
    t.truthy(locked.body.locked_at)

    for (const session of [user, otherDevice]) {
      t.is((await server().post('/refresh', { refresh_token: session.refreshToken })).status, 401)
      t.is((await server().get('/me', session.accessToken)).status, 401)
    }
    const prisma = server().latch.database.prisma
    const row = await prisma.user.findUniqueOrThrow({ where: { id: user.userId } })
    t.is(row.refreshTokenVersion, 1, 'lock bumps refreshTokenVersion in the same transaction')
    const logged = await prisma.revocation.findMany({ where: { userId: user.userId }, orderBy: { cursor: 'asc' } })
    t.deepEqual(logged.map((entry) => entry.kind).sort(), ['user_disabled', 'user_version'])
    // Kept for one access-token lifetime plus the 60 s of clock skew an edge allows.
    t.true(logged.every((entry) => entry.expiresAt.getTime() - entry.createdAt.getTime() === 360_000))
  })

  test(`${provider}: unlocking lets the user log in again while old sessions stay dead`, async (t) => {
    const admin = await adminSession(server())
    const user = await registerAndLogin(server())
    await asAdmin(server(), admin, `/admin/users/${user.userId}/lock`, { reason: 'investigation' })
    const unlocked = await asAdmin(server(), admin, `/admin/users/${user.userId}/unlock`)
    t.is(unlocked.status, 200, unlocked.text)
    t.like(unlocked.body, { locked_at: null, lock_reason: null })
    t.is((await server().post('/refresh', { refresh_token: user.refreshToken })).status, 401)
    const again = await login(server(), user.email, user.userId)
    t.is((await server().get('/me', again.accessToken)).status, 200)
    const kinds = (await server().latch.database.prisma.revocation.findMany({ where: { userId: user.userId } })).map((entry) => entry.kind)
    t.true(kinds.includes('user_enabled'))
  })

  test(`${provider}: only admins may lock, judged by the role stored now`, async (t) => {
    const user = await registerAndLogin(server())
    const victim = await registerAndLogin(server())
    const response = await asAdmin(server(), user, `/admin/users/${victim.userId}/lock`, { reason: 'nope' })
    t.is(response.status, 403)
    t.is(response.body.error, 'forbidden')
    t.is((await server().post('/refresh', { refresh_token: victim.refreshToken })).status, 200)

    const admin = await adminSession(server())
    await server().latch.database.prisma.user.update({ where: { id: admin.userId }, data: { role: 'user' } })
    const demoted = await asAdmin(server(), admin, `/admin/users/${victim.userId}/lock`, { reason: 'nope' })
    t.is(demoted.status, 403, 'a demoted admin loses the power at once, though the token is still valid')
  })

  test(`${provider}: admin calls validate their input`, async (t) => {
    const admin = await adminSession(server())
    const unknown = await asAdmin(server(), admin, `/admin/users/${randomUUID()}/lock`, { reason: 'x' })
    t.is(unknown.status, 404)
    t.is(unknown.body.error, 'not_found')
    const user = await registerAndLogin(server())
    for (const body of [{}, { reason: '' }, { reason: '   ' }, { reason: 'x'.repeat(501) }, { reason: 'ok', extra: 1 }]) {
      const response = await asAdmin(server(), admin, `/admin/users/${user.userId}/lock`, body)
      t.is(response.status, 400, JSON.stringify(body).slice(0, 40))
      t.is(response.body.error, 'invalid_request')
    }
    t.is((await server().post('/refresh', { refresh_token: user.refreshToken })).status, 200, 'nothing was locked by the bad calls')
    const anonymous = await server().post(`/admin/users/${user.userId}/lock`, { reason: 'x' })
    t.is(anonymous.status, 401)
  })
})
