import test from 'ava'
import { decodeJwt } from 'jose'
import { eachDatabase } from '../helpers/each-database.js'
import { login, registerAndLogin } from '../helpers/latch.js'

/** POST /logout ends one session; POST /logout-all ends every session of the user at once. */
eachDatabase((provider, server) => {
  test(`${provider}: logout revokes the session and stops its refresh token`, async (t) => {
    const user = await registerAndLogin(server())
    const response = await server().post('/logout', { refresh_token: user.refreshToken })
    t.is(response.status, 204)
    t.is(response.text, '')
    t.is((await server().post('/refresh', { refresh_token: user.refreshToken })).status, 401)
    t.is((await server().get('/me', user.accessToken)).status, 401)
    const session = await server().latch.database.prisma.session.findUniqueOrThrow({ where: { id: decodeJwt(user.accessToken).sid as string } })
    t.is(session.revokeReason, 'logout')
    const logged = await server().latch.database.prisma.revocation.findMany({ where: { sessionId: session.id } })
    t.deepEqual(logged.map((entry) => entry.kind), ['session'])
  })

  test(`${provider}: logout is idempotent and says nothing about unknown tokens`, async (t) => {
    const user = await registerAndLogin(server())
    t.is((await server().post('/logout', { refresh_token: user.refreshToken })).status, 204)
    t.is((await server().post('/logout', { refresh_token: user.refreshToken })).status, 204)
    t.is((await server().post('/logout', { refresh_token: 'latch_rt_' + 'B'.repeat(43) })).status, 204)
    t.is((await server().post('/logout', { refresh_token: 'garbage' })).status, 204)
    const sid = decodeJwt(user.accessToken).sid as string
    t.is(await server().latch.database.prisma.revocation.count({ where: { sessionId: sid } }), 1, 'one revocation record, not one per call')
  })

  test(`${provider}: logout leaves the user's other sessions alone`, async (t) => {
    const first = await registerAndLogin(server())
    const second = await login(server(), first.email, first.userId)
    await server().post('/logout', { refresh_token: first.refreshToken })
    t.is((await server().post('/refresh', { refresh_token: second.refreshToken })).status, 200)
  })

  test(`${provider}: logout-all stops every session's refresh at once and bumps refreshTokenVersion`, async (t) => {
    const first = await registerAndLogin(server())
    const second = await login(server(), first.email, first.userId)
    const third = await login(server(), first.email, first.userId)
    const response = await server().request('POST', '/logout-all', { headers: { authorization: `Bearer ${first.accessToken}` } })
    t.is(response.status, 204, response.text)

    for (const session of [first, second, third]) {
      t.is((await server().post('/refresh', { refresh_token: session.refreshToken })).status, 401)
      t.is((await server().get('/me', session.accessToken)).status, 401, 'access tokens fail live checks immediately')
    }
    const prisma = server().latch.database.prisma
    const user = await prisma.user.findUniqueOrThrow({ where: { id: first.userId } })
    t.is(user.refreshTokenVersion, 1)
    const sessions = await prisma.session.findMany({ where: { userId: first.userId } })
    t.true(sessions.every((session) => session.revokedAt !== null && session.revokeReason === 'logout_all'))
    const logged = await prisma.revocation.findMany({ where: { userId: first.userId } })
    t.deepEqual(logged.map((entry) => [entry.kind, entry.minVersion]), [['user_version', 1]])

    const fresh = await login(server(), first.email, first.userId)
    t.is(decodeJwt(fresh.accessToken).ver, 1, 'a new login works and carries the new version')
    t.is((await server().post('/refresh', { refresh_token: fresh.refreshToken })).status, 200)
  })

  test(`${provider}: logout-all requires a valid access token`, async (t) => {
    const missing = await server().post('/logout-all')
    t.is(missing.status, 401)
    t.is(missing.body.error, 'invalid_token')
    t.is(missing.headers.get('www-authenticate'), 'Bearer error="invalid_token"')
    const user = await registerAndLogin(server())
    const withRefreshToken = await server().request('POST', '/logout-all', { headers: { authorization: `Bearer ${user.refreshToken}` } })
    t.is(withRefreshToken.status, 401, 'a refresh token is not an access token')
    t.is((await server().post('/refresh', { refresh_token: user.refreshToken })).status, 200)
  })
})
