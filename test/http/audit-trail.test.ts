import test from 'ava'
import { eachDatabase } from '../helpers/each-database.js'
import { PROVIDERS } from '../helpers/databases.js'
import { adminSession, login, PASSWORD, registerAndLogin, TestLatch, uniqueEmail } from '../helpers/latch.js'

/** Security events are recorded with who, whom, where and when, in the transaction of the change. */

async function eventsFor(server: TestLatch, userId: string) {
  return server.latch.database.prisma.auditEvent.findMany({ where: { userId }, orderBy: { id: 'asc' } })
}

eachDatabase((provider, server) => {
  test(`${provider}: a user's life is recorded event by event, with actor, IP and user agent`, async (t) => {
    const user = await registerAndLogin(server())
    await server().request('POST', '/login', { json: { email: user.email, password: 'wrong password!' }, headers: { 'user-agent': 'Attacker/1' } })
    const second = await login(server(), user.email, user.userId)
    const rotated = await server().post('/refresh', { refresh_token: user.refreshToken })
    t.is(rotated.status, 200)
    await server().post('/logout', { refresh_token: rotated.body.refresh_token })
    await server().request('POST', '/logout-all', { headers: { authorization: `Bearer ${second.accessToken}` } })

    const events = await eventsFor(server(), user.userId)
    t.deepEqual(events.map((event) => event.type), ['user_created', 'login_succeeded', 'login_failed', 'login_succeeded', 'logout', 'logout_all'])
    const failed = events.find((event) => event.type === 'login_failed')!
    t.like(failed, { ip: '127.0.0.1', userAgent: 'Attacker/1', actorId: null })
    t.deepEqual(JSON.parse(failed.detail!), { email: user.email, reason: 'wrong password' })
    t.like(events.find((event) => event.type === 'logout_all'), { actorId: user.userId })
    for (const event of events) {
      const stored = JSON.stringify(event)
      t.false(stored.includes(PASSWORD), 'no password in the trail')
      t.false(stored.includes(user.refreshToken) || stored.includes(second.accessToken), 'no token in the trail')
    }
  })

  test(`${provider}: failed logins for unknown emails are recorded without a user`, async (t) => {
    const email = uniqueEmail('ghost')
    await server().post('/login', { email, password: PASSWORD })
    const events = await server().latch.database.prisma.auditEvent.findMany({ where: { type: 'login_failed', userId: null } })
    t.true(events.some((event) => JSON.parse(event.detail!).email === email))
  })

  test(`${provider}: lock and unlock are recorded with their actor`, async (t) => {
    const admin = await adminSession(server())
    const user = await registerAndLogin(server())
    const headers = { authorization: `Bearer ${admin.accessToken}` }
    await server().request('POST', `/admin/users/${user.userId}/lock`, { headers, json: { reason: 'fraud review' } })
    await server().request('POST', `/admin/users/${user.userId}/unlock`, { headers })
    const events = await eventsFor(server(), user.userId)
    const locked = events.find((event) => event.type === 'user_locked')!
    t.like(locked, { actorId: admin.userId })
    t.deepEqual(JSON.parse(locked.detail!), { reason: 'fraud review' })
    t.like(events.find((event) => event.type === 'user_unlocked'), { actorId: admin.userId })
  })
})

for (const provider of PROVIDERS) {
  test(`${provider}: a change whose audit record cannot be written does not happen`, async (t) => {
    const server = await TestLatch.start(provider)
    t.teardown(() => server.close())
    const admin = await adminSession(server)
    const user = await registerAndLogin(server)
    const prisma = server.latch.database.prisma
    await prisma.$executeRawUnsafe('DROP TABLE audit_events')

    const lock = await server.request('POST', `/admin/users/${user.userId}/lock`, {
      headers: { authorization: `Bearer ${admin.accessToken}` },
      json: { reason: 'should roll back' },
    })
    t.is(lock.status, 500)
    t.is(lock.body.error, 'server_error')
    const row = await prisma.user.findUniqueOrThrow({ where: { id: user.userId } })
    t.like(row, { lockedAt: null, refreshTokenVersion: 0 })
    t.is(await prisma.revocation.count({ where: { userId: user.userId } }), 0)
    t.is(await prisma.session.count({ where: { userId: user.userId, revokedAt: { not: null } } }), 0)

    const logout = await server.post('/logout', { refresh_token: user.refreshToken })
    t.is(logout.status, 500)
    t.is((await server.post('/refresh', { refresh_token: user.refreshToken })).status, 200, 'the session was not revoked')
  })
}
