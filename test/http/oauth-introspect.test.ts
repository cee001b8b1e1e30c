import test from 'ava'
import { decodeJwt } from 'jose'
import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import { login, registerAndLogin, TEST_ISSUER, TestLatch } from '../helpers/latch.js'
import { TestClock } from '../helpers/clock.js'
import { PROVIDERS } from '../helpers/databases.js'
import { eachDatabase } from '../helpers/each-database.js'
import { basic, loginForClient, postForm, registerClient, type RegisteredClient } from '../helpers/oauth.js'

/**
 * POST /oauth/introspect (RFC 7662), for confidential clients: an access token is active when it
 * verifies for any registered audience and its live state is the one /me requires; anything else
 * is exactly {"active": false}.
 */

function introspect(server: TestLatch, service: RegisteredClient, token: string, extra: Record<string, string> = {}) {
  return postForm(server, '/oauth/introspect', { token, ...extra }, basic(service.clientId, service.secret!))
}

async function isActive(server: TestLatch, service: RegisteredClient, token: string): Promise<boolean> {
  const response = await introspect(server, service, token)
  if (response.status !== 200) throw new Error(`introspection failed: ${response.status} ${response.text}`)
  if (!response.body.active) {
    if (JSON.stringify(response.body) !== '{"active":false}') throw new Error(`an inactive answer says more than active: false: ${response.text}`)
    return false
  }
  return true
}

eachDatabase((provider, server) => {
  test(`${provider}: an active access token is described by its claims`, async (t) => {
    const service = await registerClient(server(), { type: 'confidential' })
    const user = await registerAndLogin(server())
    const claims = decodeJwt(user.accessToken)
    const response = await introspect(server(), service, user.accessToken, { token_type_hint: 'access_token' })
    t.is(response.status, 200, response.text)
    t.is(response.headers.get('cache-control'), 'no-store')
    t.is(response.headers.get('pragma'), 'no-cache')
    t.deepEqual(response.body, {
      active: true,
      token_type: 'Bearer',
      sub: user.userId,
      client_id: 'latch-web',
      scope: 'api',
      aud: 'latch',
      iss: TEST_ISSUER,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      sid: claims.sid,
    })
    const viaPost = await postForm(server(), '/oauth/introspect', { token: user.accessToken, client_id: service.clientId, client_secret: service.secret! })
    t.is(viaPost.body.active, true, 'client_secret_post works as well')
  })

  test(`${provider}: a token for another client's audience is refused by /me but active for introspection`, async (t) => {
    const service = await registerClient(server(), { type: 'confidential' })
    const app = await registerClient(server(), { type: 'public', audience: 'https://api.example.com', scope: 'orders:read' })
    const user = await loginForClient(server(), app.clientId)
    t.like(decodeJwt(user.accessToken), { aud: 'https://api.example.com', client_id: app.clientId, scope: 'orders:read' })

    const me = await server().get('/me', user.accessToken)
    t.is(me.status, 401, "Latch's own API accepts only LATCH_AUDIENCE")
    t.is(me.body.error, 'invalid_token')
    const response = await introspect(server(), service, user.accessToken)
    t.like(response.body, { active: true, aud: 'https://api.example.com', client_id: app.clientId, scope: 'orders:read', sub: user.userId })

    await server().latch.database.prisma.client.update({ where: { id: app.clientId }, data: { disabledAt: new Date() } })
    t.false(await isActive(server(), service, user.accessToken), 'the audience of a disabled client is no longer accepted')
  })

  test(`${provider}: an access token is inactive once its session, user, version or jti is revoked`, async (t) => {
    const service = await registerClient(server(), { type: 'confidential' })

    const loggedOut = await registerAndLogin(server())
    t.true(await isActive(server(), service, loggedOut.accessToken))
    await server().post('/logout', { refresh_token: loggedOut.refreshToken })
    t.false(await isActive(server(), service, loggedOut.accessToken), 'session revoked')

    const everywhere = await registerAndLogin(server())
    const other = await login(server(), everywhere.email, everywhere.userId)
    await server().request('POST', '/logout-all', { headers: { authorization: `Bearer ${other.accessToken}` } })
    t.false(await isActive(server(), service, everywhere.accessToken), 'version stale')

    const locked = await registerAndLogin(server())
    await server().latch.core.lockUser({ userId: locked.userId, reason: 'fraud' }, OPERATOR_CONTEXT)
    t.false(await isActive(server(), service, locked.accessToken), 'user locked')

    const revoked = await registerAndLogin(server())
    await postForm(server(), '/oauth/revoke', { token: revoked.accessToken, client_id: 'latch-web' })
    t.false(await isActive(server(), service, revoked.accessToken), 'jti revoked (RFC 7009)')
    const successor = await server().post('/refresh', { refresh_token: revoked.refreshToken })
    t.true(await isActive(server(), service, successor.body.access_token), 'only that jti')
  })

  test(`${provider}: malformed, forged and foreign tokens are exactly {"active": false}`, async (t) => {
    const service = await registerClient(server(), { type: 'confidential' })
    const user = await registerAndLogin(server())
    const [header, , signature] = user.accessToken.split('.')
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(user.accessToken), aud: 'anything' })).toString('base64url')}.${signature}`
    for (const token of ['garbage', 'latch_rt_' + 'A'.repeat(43), forged, `${header}..`, 'a.b.c']) {
      const response = await introspect(server(), service, token)
      t.is(response.status, 200, token.slice(0, 20))
      t.deepEqual(response.body, { active: false }, token.slice(0, 20))
    }
  })

  test(`${provider}: a refresh token is active while unused and its session can refresh, with minimal fields`, async (t) => {
    const service = await registerClient(server(), { type: 'confidential' })
    const user = await registerAndLogin(server())
    const response = await introspect(server(), service, user.refreshToken, { token_type_hint: 'refresh_token' })
    t.deepEqual(Object.keys(response.body).sort(), ['active', 'client_id', 'exp', 'scope', 'sub'])
    t.like(response.body, { active: true, client_id: 'latch-web', scope: 'api', sub: user.userId })
    const session = await server().latch.database.prisma.session.findUniqueOrThrow({ where: { id: decodeJwt(user.accessToken).sid as string } })
    const deadline = session.lastUsedAt.getTime() + 7 * 86_400_000
    t.true(response.body.exp * 1000 <= deadline && response.body.exp * 1000 > deadline - 2000, 'exp is the idle deadline, in whole seconds')

    const rotated = await server().post('/refresh', { refresh_token: user.refreshToken })
    t.false(await isActive(server(), service, user.refreshToken), 'a used token is inactive, even inside the grace window')
    t.true(await isActive(server(), service, rotated.body.refresh_token))
    await server().post('/logout', { refresh_token: rotated.body.refresh_token })
    t.false(await isActive(server(), service, rotated.body.refresh_token), 'its session ended')
  })

  test(`${provider}: only authenticated confidential clients may introspect`, async (t) => {
    const service = await registerClient(server(), { type: 'confidential' })
    const user = await registerAndLogin(server())
    const refused: Array<[string, Record<string, string>, Record<string, string>]> = [
      ['a public client', { client_id: 'latch-web' }, {}],
      ['nobody', {}, {}],
      ['a wrong secret', {}, basic(service.clientId, 'latch_cs_wrong')],
      ['an unknown client', { client_id: 'who', client_secret: 'what' }, {}],
    ]
    for (const [name, credentials, headers] of refused) {
      const response = await postForm(server(), '/oauth/introspect', { token: user.accessToken, ...credentials }, headers)
      t.is(response.status, 401, name)
      t.is(response.body.error, 'invalid_client', name)
      t.is(response.body.active, undefined, name)
    }
    const missing = await postForm(server(), '/oauth/introspect', {}, basic(service.clientId, service.secret!))
    t.is(missing.status, 400)
    t.is(missing.body.error, 'invalid_request')
  })
})

for (const provider of PROVIDERS) {
  test(`${provider}: an expired access token is inactive though its session lives on`, async (t) => {
    const clock = new TestClock()
    const server = await TestLatch.start(provider, { clock })
    t.teardown(() => server.close())
    const service = await registerClient(server, { type: 'confidential' })
    const user = await registerAndLogin(server)
    clock.advance(299)
    t.true(await isActive(server, service, user.accessToken))
    clock.advance(10)
    t.false(await isActive(server, service, user.accessToken))
    t.true(await isActive(server, service, user.refreshToken))
  })
}
