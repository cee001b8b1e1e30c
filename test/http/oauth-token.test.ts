import { createHash } from 'node:crypto'
import test from 'ava'
import { decodeJwt } from 'jose'
import { TestClock } from '../helpers/clock.js'
import { PROVIDERS } from '../helpers/databases.js'
import { eachDatabase } from '../helpers/each-database.js'
import { PASSWORD, registerAndLogin, TestLatch } from '../helpers/latch.js'
import { basic, loginForClient, postForm, registerClient } from '../helpers/oauth.js'

/**
 * POST /oauth/token: the refresh_token grant of RFC 6749 section 6, with exactly the rotation,
 * reuse detection and grace of POST /refresh, client authentication (section 2.3) and the error
 * statuses of section 5.2.
 */

const FIRST_PARTY = 'latch-web'

function refreshGrant(refreshToken: string, extra: Record<string, string> = {}) {
  return { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }
}

async function tokenRow(server: TestLatch, refreshToken: string) {
  const hash = createHash('sha256').update(Buffer.from(refreshToken.slice('latch_rt_'.length), 'base64url')).digest('base64url')
  return server.latch.database.prisma.refreshToken.findUniqueOrThrow({ where: { hash }, include: { session: true } })
}

eachDatabase((provider, server) => {
  test(`${provider}: a public client rotates a /login refresh token and gets an RFC 6749 token response`, async (t) => {
    const user = await registerAndLogin(server())
    const response = await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken, { client_id: FIRST_PARTY }))
    t.is(response.status, 200, response.text)
    t.is(response.headers.get('cache-control'), 'no-store')
    t.is(response.headers.get('pragma'), 'no-cache')
    t.like(response.body, { token_type: 'Bearer', expires_in: 300, scope: 'api' })
    t.regex(response.body.refresh_token, /^latch_rt_[A-Za-z0-9_-]{43}$/)
    t.like(decodeJwt(response.body.access_token), { sub: user.userId, client_id: FIRST_PARTY, aud: 'latch', sid: decodeJwt(user.accessToken).sid })

    const used = await tokenRow(server(), user.refreshToken)
    t.truthy(used.usedAt, 'the presented token was consumed')
    const next = await server().post('/refresh', { refresh_token: response.body.refresh_token })
    t.is(next.status, 200, 'the successor belongs to the same family, whichever endpoint rotates it')
  })

  test(`${provider}: a replay inside the grace window gets the same successor, as on /refresh`, async (t) => {
    const user = await registerAndLogin(server())
    const first = await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken, { client_id: FIRST_PARTY }))
    const replay = await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken, { client_id: FIRST_PARTY }))
    const viaRefresh = await server().post('/refresh', { refresh_token: user.refreshToken })
    t.is(replay.status, 200, replay.text)
    t.is(replay.body.refresh_token, first.body.refresh_token)
    t.is(viaRefresh.body.refresh_token, first.body.refresh_token, 'one domain function: one family')
  })

  test(`${provider}: every 401 invalid_client carries a Basic challenge, whichever way the client authenticated (RFC 7235)`, async (t) => {
    const service = await registerClient(server(), { type: 'confidential' })
    const user = await registerAndLogin(server())
    const refusals = [
      // client_secret_post with a wrong secret
      await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken, { client_id: service.clientId, client_secret: 'latch_cs_wrong' })),
      // none, for a client nobody registered
      await postForm(server(), '/oauth/revoke', { token: user.refreshToken, client_id: 'nobody' }),
      // none, by a public client on an endpoint for confidential clients
      await postForm(server(), '/oauth/introspect', { token: user.accessToken, client_id: FIRST_PARTY }),
      // no client authentication at all
      await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken)),
      // HTTP Basic with a wrong secret
      await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken), basic(service.clientId, 'latch_cs_wrong')),
      // /login naming an unknown client
      await server().post('/login', { email: user.email, password: PASSWORD, client_id: 'nobody' }),
    ]
    for (const [index, response] of refusals.entries()) {
      t.is(response.status, 401, `${index}: ${response.text}`)
      t.is(response.body.error, 'invalid_client', String(index))
      t.is(response.headers.get('www-authenticate'), 'Basic realm="latch"', String(index))
    }
  })

  test(`${provider}: errors carry RFC 6749 section 5.2 statuses: invalid_grant is 400 here and stays 401 on /refresh`, async (t) => {
    const bogus = 'latch_rt_' + 'A'.repeat(43)
    const oauth = await postForm(server(), '/oauth/token', refreshGrant(bogus, { client_id: FIRST_PARTY }))
    t.is(oauth.status, 400)
    t.deepEqual(oauth.body, { error: 'invalid_grant', error_description: 'The provided credentials or refresh token are invalid, expired or revoked.' })
    t.is(oauth.headers.get('cache-control'), 'no-store')
    t.is(oauth.headers.get('pragma'), 'no-cache')
    const json = await server().post('/refresh', { refresh_token: bogus })
    t.is(json.status, 401)
    t.is(json.body.error, 'invalid_grant')
  })

  test(`${provider}: unsupported grant types, missing parameters and repeated parameters are refused without touching the token`, async (t) => {
    const user = await registerAndLogin(server())
    for (const grant_type of ['password', 'authorization_code', 'client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange']) {
      const response = await postForm(server(), '/oauth/token', { grant_type, refresh_token: user.refreshToken, client_id: FIRST_PARTY })
      t.is(response.status, 400, grant_type)
      t.is(response.body.error, 'unsupported_grant_type', grant_type)
    }
    const missing: Record<string, string>[] = [
      { refresh_token: user.refreshToken, client_id: FIRST_PARTY },
      { grant_type: 'refresh_token', client_id: FIRST_PARTY },
      { grant_type: '', refresh_token: user.refreshToken, client_id: FIRST_PARTY },
    ]
    for (const body of missing) {
      const response = await postForm(server(), '/oauth/token', body)
      t.is(response.status, 400, JSON.stringify(Object.keys(body)))
      t.is(response.body.error, 'invalid_request')
    }
    const repeated = `grant_type=refresh_token&grant_type=refresh_token&refresh_token=${user.refreshToken}&client_id=${FIRST_PARTY}`
    const twice = await server().request('POST', '/oauth/token', { body: repeated, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    t.is(twice.status, 400)
    t.is(twice.body.error, 'invalid_request')
    const ignored = await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken, { client_id: FIRST_PARTY, resource: 'x', 'a[b]': 'c' }))
    t.is(ignored.status, 200, 'unrecognised parameters are ignored (RFC 6749 section 3.2), and the untouched token still works')
  })

  test(`${provider}: only forms are accepted, within the body limit`, async (t) => {
    const user = await registerAndLogin(server())
    const json = await server().post('/oauth/token', refreshGrant(user.refreshToken, { client_id: FIRST_PARTY }))
    t.is(json.status, 415)
    t.deepEqual(json.body, { error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded.' })
    t.is(json.headers.get('pragma'), 'no-cache')
    const large = await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken, { client_id: FIRST_PARTY, padding: 'x'.repeat(20_000) }))
    t.is(large.status, 413)
    t.is(large.body.error, 'invalid_request')
    t.falsy((await tokenRow(server(), user.refreshToken)).usedAt, 'nothing was consumed')
  })

  test(`${provider}: a refresh token of another client is invalid_grant and neither consumed nor revoked`, async (t) => {
    const other = await registerClient(server(), { type: 'public' })
    const user = await registerAndLogin(server())
    const response = await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken, { client_id: other.clientId }))
    t.is(response.status, 400)
    t.is(response.body.error, 'invalid_grant')
    const row = await tokenRow(server(), user.refreshToken)
    t.is(row.usedAt, null)
    t.is(row.session.revokedAt, null)
    t.is((await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken, { client_id: FIRST_PARTY }))).status, 200, 'its own client still can')

    const own = await loginForClient(server(), other.clientId)
    const crossed = await postForm(server(), '/oauth/token', refreshGrant(own.refreshToken, { client_id: FIRST_PARTY }))
    t.is(crossed.status, 400, 'and the other way round')
    const mine = await postForm(server(), '/oauth/token', refreshGrant(own.refreshToken, { client_id: other.clientId }))
    t.is(mine.status, 200, mine.text)
    t.is(decodeJwt(mine.body.access_token).client_id, other.clientId)
  })

  test(`${provider}: scope may only narrow: the access token gets the narrower scope, the session keeps its grant`, async (t) => {
    const app = await registerClient(server(), { type: 'public', scope: 'read write profile' })
    const user = await loginForClient(server(), app.clientId)
    t.is(decodeJwt(user.accessToken).scope, 'read write profile')

    const wider = await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken, { client_id: app.clientId, scope: 'read admin' }))
    t.is(wider.status, 400)
    t.is(wider.body.error, 'invalid_scope')
    for (const scope of ['', 'read  write', 'read "write"']) {
      const malformed = await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken, { client_id: app.clientId, scope }))
      t.is(malformed.body.error, 'invalid_scope', JSON.stringify(scope))
    }
    t.is((await tokenRow(server(), user.refreshToken)).usedAt, null, 'a refused scope consumes nothing')

    const narrowed = await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken, { client_id: app.clientId, scope: 'write read' }))
    t.is(narrowed.status, 200, narrowed.text)
    t.is(narrowed.body.scope, 'write read')
    t.is(decodeJwt(narrowed.body.access_token).scope, 'write read')
    const full = await postForm(server(), '/oauth/token', refreshGrant(narrowed.body.refresh_token, { client_id: app.clientId }))
    t.is(full.body.scope, 'read write profile', 'the next refresh without scope gets the whole grant back (RFC 6749 section 6)')
  })

  test(`${provider}: clients that do not authenticate properly get invalid_client, with a Basic challenge`, async (t) => {
    const user = await registerAndLogin(server())
    const service = await registerClient(server(), { type: 'confidential' })
    const grant = refreshGrant(user.refreshToken)
    const cases: Array<[string, Record<string, string>, Record<string, string>]> = [
      ['no client at all', grant, {}],
      ['unknown client', { ...grant, client_id: 'no-such-client' }, {}],
      ['confidential client without its secret', { ...grant, client_id: service.clientId }, {}],
      ['wrong secret in the body', { ...grant, client_id: service.clientId, client_secret: 'latch_cs_wrong' }, {}],
      ['wrong secret in Basic', grant, basic(service.clientId, 'latch_cs_wrong')],
      ['unknown client in Basic', grant, basic('no-such-client', service.secret!)],
      ['public client sending a secret', { ...grant, client_id: FIRST_PARTY, client_secret: 'anything' }, {}],
      ['malformed Basic', grant, { authorization: 'Basic !!!' }],
      ['Basic without a colon', grant, { authorization: `Basic ${Buffer.from(service.clientId).toString('base64')}` }],
      ['another scheme', grant, { authorization: 'Bearer abc' }],
    ]
    for (const [name, body, headers] of cases) {
      const response = await postForm(server(), '/oauth/token', body, headers)
      t.is(response.status, 401, name)
      t.deepEqual(response.body, { error: 'invalid_client', error_description: 'Client authentication failed.' }, name)
      t.is(response.headers.get('www-authenticate'), 'Basic realm="latch"', name)
    }
    t.is((await tokenRow(server(), user.refreshToken)).usedAt, null, 'no failed authentication consumed the token')
    const logs = server().logs.join('')
    t.true(logs.includes('invalid_client'), 'the failures are logged')
    t.false(logs.includes('latch_cs_wrong') || logs.includes(service.secret!), 'but never a secret, right or wrong')
  })

  test(`${provider}: Basic and client_secret together are invalid_request; a confidential client authenticates but may not refresh`, async (t) => {
    const user = await registerAndLogin(server())
    const service = await registerClient(server(), { type: 'confidential' })
    const both = await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken, { client_secret: service.secret! }), basic(service.clientId, service.secret!))
    t.is(both.status, 400)
    t.is(both.body.error, 'invalid_request')
    const differentId = await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken, { client_id: FIRST_PARTY }), basic(service.clientId, service.secret!))
    t.is(differentId.status, 400)
    t.is(differentId.body.error, 'invalid_request')

    // Latch's confidential clients are resource servers: they hold no sessions, so the refresh
    // grant is one they are not authorized for. Authentication itself succeeded (no 401).
    for (const [name, body, headers] of [
      ['client_secret_basic', refreshGrant(user.refreshToken), basic(service.clientId, service.secret!)],
      ['client_secret_basic with its client_id repeated in the body', refreshGrant(user.refreshToken, { client_id: service.clientId }), basic(service.clientId, service.secret!)],
      ['client_secret_post', refreshGrant(user.refreshToken, { client_id: service.clientId, client_secret: service.secret! }), {}],
    ] as const) {
      const response = await postForm(server(), '/oauth/token', body, headers)
      t.is(response.status, 400, name)
      t.is(response.body.error, 'unauthorized_client', name)
    }
    t.is((await tokenRow(server(), user.refreshToken)).usedAt, null)
  })

  test(`${provider}: a disabled client is refused`, async (t) => {
    const app = await registerClient(server(), { type: 'public' })
    const user = await loginForClient(server(), app.clientId)
    await server().latch.database.prisma.client.update({ where: { id: app.clientId }, data: { disabledAt: new Date() } })
    const response = await postForm(server(), '/oauth/token', refreshGrant(user.refreshToken, { client_id: app.clientId }))
    t.is(response.status, 401)
    t.is(response.body.error, 'invalid_client')
  })
})

for (const provider of PROVIDERS) {
  test(`${provider}: reuse after the grace window through /oauth/token revokes the session, unless another client presents it`, async (t) => {
    const clock = new TestClock()
    const server = await TestLatch.start(provider, { clock })
    t.teardown(() => server.close())
    const other = await registerClient(server, { type: 'public' })
    const user = await registerAndLogin(server)
    const rotated = await postForm(server, '/oauth/token', refreshGrant(user.refreshToken, { client_id: FIRST_PARTY }))
    t.is(rotated.status, 200)
    clock.advance(11)

    const foreign = await postForm(server, '/oauth/token', refreshGrant(user.refreshToken, { client_id: other.clientId }))
    t.is(foreign.status, 400)
    t.is((await tokenRow(server, user.refreshToken)).session.revokedAt, null, "another client's replay is refused before it can count as reuse")

    const replay = await postForm(server, '/oauth/token', refreshGrant(user.refreshToken, { client_id: FIRST_PARTY }))
    t.is(replay.status, 400)
    t.is(replay.body.error, 'invalid_grant')
    const { session } = await tokenRow(server, user.refreshToken)
    t.is(session.revokeReason, 'refresh_token_reuse')
    t.is((await postForm(server, '/oauth/token', refreshGrant(rotated.body.refresh_token, { client_id: FIRST_PARTY }))).status, 400, 'the family is dead')
    const audited = await server.latch.database.prisma.auditEvent.findFirstOrThrow({ where: { type: 'refresh_reuse_detected', userId: user.userId } })
    t.is(audited.actorId, `client:${FIRST_PARTY}`, 'the client that presented the token is the actor')
  })
}
