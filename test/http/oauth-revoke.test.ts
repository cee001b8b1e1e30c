import test from 'ava'
import { decodeJwt } from 'jose'
import { eachDatabase } from '../helpers/each-database.js'
import { registerAndLogin, type TestLatch } from '../helpers/latch.js'
import { basic, loginForClient, postForm, registerClient } from '../helpers/oauth.js'

/**
 * POST /oauth/revoke (RFC 7009): a refresh token ends its session like a logout; an access token
 * is revoked on its own by jti, through the same revocation outbox; unknown tokens change nothing.
 */

const FIRST_PARTY = 'latch-web'

function revoke(server: TestLatch, token: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return postForm(server, '/oauth/revoke', { token, ...extra }, headers)
}

/** Revocations and audit events about these users; tests share a server, so counts are per user. */
async function writes(server: TestLatch, userIds: string[]) {
  const prisma = server.latch.database.prisma
  const where = { userId: { in: userIds } }
  return { revocations: await prisma.revocation.count({ where }), audit: await prisma.auditEvent.count({ where }) }
}

eachDatabase((provider, server) => {
  test(`${provider}: revoking a refresh token ends its session, recorded as a logout by the client`, async (t) => {
    const user = await registerAndLogin(server())
    const response = await revoke(server(), user.refreshToken, { client_id: FIRST_PARTY, token_type_hint: 'refresh_token' })
    t.is(response.status, 200, response.text)
    t.is(response.text, '')
    t.is(response.headers.get('cache-control'), 'no-store')
    t.is(response.headers.get('pragma'), 'no-cache')

    t.is((await server().post('/refresh', { refresh_token: user.refreshToken })).status, 401)
    t.is((await server().get('/me', user.accessToken)).status, 401)
    const prisma = server().latch.database.prisma
    const sid = decodeJwt(user.accessToken).sid as string
    t.like(await prisma.session.findUniqueOrThrow({ where: { id: sid } }), { revokeReason: 'logout' })
    t.deepEqual((await prisma.revocation.findMany({ where: { sessionId: sid } })).map((row) => row.kind), ['session'])
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { userId: user.userId, type: 'logout' } })
    t.is(event.actorId, `client:${FIRST_PARTY}`)
    t.like(JSON.parse(event.detail!), { clientId: FIRST_PARTY, sessionId: sid })
  })

  test(`${provider}: revoking an access token revokes that jti only, in the outbox until the token's exp`, async (t) => {
    const user = await registerAndLogin(server())
    const claims = decodeJwt(user.accessToken)
    const response = await revoke(server(), user.accessToken, { client_id: FIRST_PARTY, token_type_hint: 'access_token' })
    t.is(response.status, 200, response.text)

    const me = await server().get('/me', user.accessToken)
    t.is(me.status, 401, '/me honours RFC 7009 revocation')
    t.is(me.body.error, 'invalid_token')
    const prisma = server().latch.database.prisma
    const rows = await prisma.revocation.findMany({ where: { jti: claims.jti as string } })
    t.is(rows.length, 1)
    t.like(rows[0], { kind: 'access_token', userId: user.userId, sessionId: claims.sid, reason: 'token_revoked' })
    t.is(rows[0]!.expiresAt.getTime(), (claims.exp! + 60) * 1000, 'kept while an edge allowing 60 s of clock skew could still accept the token')
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { userId: user.userId, type: 'access_token_revoked' } })
    t.is(event.actorId, `client:${FIRST_PARTY}`)
    t.like(JSON.parse(event.detail!), { jti: claims.jti, sessionId: claims.sid })

    const refreshed = await server().post('/refresh', { refresh_token: user.refreshToken })
    t.is(refreshed.status, 200, 'the session lives on')
    t.is((await server().get('/me', refreshed.body.access_token)).status, 200, 'and its other access tokens still work')

    const before = await writes(server(), [user.userId])
    t.is((await revoke(server(), user.accessToken, { client_id: FIRST_PARTY })).status, 200)
    t.deepEqual(await writes(server(), [user.userId]), before, 'revoking again writes nothing')
  })

  test(`${provider}: unknown, malformed and foreign-issuer tokens are answered 200 and change nothing`, async (t) => {
    const user = await registerAndLogin(server())
    const before = await writes(server(), [user.userId, 'x'])
    const [header, payload] = user.accessToken.split('.')
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(user.accessToken), sub: 'x' })).toString('base64url')}.${user.accessToken.split('.')[2]}`
    for (const token of ['latch_rt_' + 'A'.repeat(43), 'garbage', `${header}.${payload}.`, tampered, 'x'.repeat(8192)]) {
      const response = await revoke(server(), token, { client_id: FIRST_PARTY, token_type_hint: 'something_else' })
      t.is(response.status, 200, token.slice(0, 20))
    }
    t.deepEqual(await writes(server(), [user.userId, 'x']), before)
    t.is((await server().get('/me', user.accessToken)).status, 200)
  })

  test(`${provider}: a token of another client is left alone: silently for a public client, with invalid_request for a confidential one`, async (t) => {
    const other = await registerClient(server(), { type: 'public' })
    // A resource server for another audience than the token's.
    const service = await registerClient(server(), { type: 'confidential', audience: 'https://elsewhere.example.com' })
    const user = await registerAndLogin(server())
    const before = await writes(server(), [user.userId])
    for (const token of [user.refreshToken, user.accessToken]) {
      const fromPublic = await revoke(server(), token, { client_id: other.clientId })
      t.is(fromPublic.status, 200, 'an unauthenticated client learns nothing')
      const fromConfidential = await revoke(server(), token, {}, basic(service.clientId, service.secret!))
      t.is(fromConfidential.status, 400, 'RFC 7009 section 2.1: the request is refused and the client is told')
      t.is(fromConfidential.body.error, 'invalid_request')
    }
    t.deepEqual(await writes(server(), [user.userId]), before)
    t.is((await server().get('/me', user.accessToken)).status, 200)
    t.is((await server().post('/refresh', { refresh_token: user.refreshToken })).status, 200)
  })

  test(`${provider}: a confidential client (a resource server) revokes access tokens for its audience, and nothing else`, async (t) => {
    const app = await registerClient(server(), { type: 'public', audience: 'https://orders.example.com' })
    const orders = await registerClient(server(), { type: 'confidential', audience: 'https://orders.example.com' })
    const user = await loginForClient(server(), app.clientId)
    const claims = decodeJwt(user.accessToken)
    const response = await revoke(server(), user.accessToken, { token_type_hint: 'access_token' }, basic(orders.clientId, orders.secret!))
    t.is(response.status, 200, response.text)
    const prisma = server().latch.database.prisma
    t.is(await prisma.revocation.count({ where: { jti: claims.jti as string } }), 1, 'the token is revoked by jti')
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { userId: user.userId, type: 'access_token_revoked' } })
    t.is(event.actorId, `client:${orders.clientId}`, 'the resource server is the actor')
    const introspected = await postForm(server(), '/oauth/introspect', { token: user.accessToken }, basic(orders.clientId, orders.secret!))
    t.deepEqual(introspected.body, { active: false })

    // The session and its refresh token are the app's, not the resource server's.
    const refreshToken = await revoke(server(), user.refreshToken, {}, basic(orders.clientId, orders.secret!))
    t.is(refreshToken.status, 400, refreshToken.text)
    t.is(refreshToken.body.error, 'invalid_request')
    const refreshed = await postForm(server(), '/oauth/token', { grant_type: 'refresh_token', refresh_token: user.refreshToken, client_id: app.clientId })
    t.is(refreshed.status, 200, 'the session lives on')
  })

  test(`${provider}: a public client revokes the tokens of its own sessions`, async (t) => {
    const app = await registerClient(server(), { type: 'public', audience: 'https://api.example.com' })
    const user = await loginForClient(server(), app.clientId)
    t.is((await revoke(server(), user.accessToken, { client_id: app.clientId })).status, 200)
    t.is(await server().latch.database.prisma.revocation.count({ where: { jti: decodeJwt(user.accessToken).jti as string } }), 1, 'its audience is a registered one')
    t.is((await revoke(server(), user.refreshToken, { client_id: app.clientId })).status, 200)
    t.is((await postForm(server(), '/oauth/token', { grant_type: 'refresh_token', refresh_token: user.refreshToken, client_id: app.clientId })).status, 400)
  })

  test(`${provider}: the caller must identify or authenticate, and name the token`, async (t) => {
    const user = await registerAndLogin(server())
    const service = await registerClient(server(), { type: 'confidential' })
    const unauthenticated = await revoke(server(), user.refreshToken)
    t.is(unauthenticated.status, 401)
    t.is(unauthenticated.body.error, 'invalid_client')
    const wrongSecret = await revoke(server(), user.refreshToken, {}, basic(service.clientId, 'latch_cs_nope'))
    t.is(wrongSecret.status, 401)
    t.is(wrongSecret.headers.get('www-authenticate'), 'Basic realm="latch"')
    const noToken = await postForm(server(), '/oauth/revoke', { client_id: FIRST_PARTY })
    t.is(noToken.status, 400)
    t.is(noToken.body.error, 'invalid_request')
    const json = await server().post('/oauth/revoke', { token: user.refreshToken, client_id: FIRST_PARTY })
    t.is(json.status, 415)
    t.is((await server().post('/refresh', { refresh_token: user.refreshToken })).status, 200, 'nothing was revoked by the refused calls')
  })
})
