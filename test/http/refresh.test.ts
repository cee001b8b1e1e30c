import test from 'ava'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { eachDatabase } from '../helpers/each-database.js'
import { TestClock } from '../helpers/clock.js'
import { PROVIDERS } from '../helpers/databases.js'
import { registerAndLogin, TEST_ISSUER, TestLatch, type LoggedIn } from '../helpers/latch.js'

/** POST /refresh: one-time rotating refresh tokens with reuse detection (RFC 9700 section 4.14). */

async function sessionRows(server: TestLatch, refreshToken: string) {
  const prisma = server.latch.database.prisma
  const all = await prisma.refreshToken.findMany({ include: { session: true } })
  const secrets = await import('node:crypto')
  const bytes = Buffer.from(refreshToken.slice('latch_rt_'.length), 'base64url')
  const hash = secrets.createHash('sha256').update(bytes).digest('base64url')
  const token = all.find((row) => row.hash === hash)
  if (!token) throw new Error('token not stored')
  return { session: token.session, tokens: all.filter((row) => row.sessionId === token.sessionId) }
}

eachDatabase((provider, server) => {
  test(`${provider}: a refresh returns a new pair and the new refresh token works`, async (t) => {
    const user = await registerAndLogin(server())
    const first = await server().post('/refresh', { refresh_token: user.refreshToken })
    t.is(first.status, 200, first.text)
    t.is(first.body.token_type, 'Bearer')
    t.is(first.body.expires_in, 300)
    t.true(first.body.refresh_expires_in > 0)
    t.is(first.headers.get('cache-control'), 'no-store')
    t.not(first.body.refresh_token, user.refreshToken)
    t.regex(first.body.refresh_token, /^latch_rt_[A-Za-z0-9_-]{43}$/)
    const second = await server().post('/refresh', { refresh_token: first.body.refresh_token })
    t.is(second.status, 200, second.text)
    t.not(second.body.refresh_token, first.body.refresh_token)
  })

  test(`${provider}: access tokens carry the RFC 9068 claims plus sid and ver`, async (t) => {
    const user = await registerAndLogin(server())
    const refreshed = await server().post('/refresh', { refresh_token: user.refreshToken })
    const header = decodeProtectedHeader(refreshed.body.access_token)
    const claims = decodeJwt(refreshed.body.access_token)
    t.is(header.typ, 'at+jwt')
    t.is(header.alg, 'EdDSA')
    const jwks = await server().get('/.well-known/jwks.json')
    t.deepEqual(jwks.body.keys.map((key: { kid: string }) => key.kid), [header.kid])
    t.like(claims, { iss: TEST_ISSUER, sub: user.userId, aud: 'latch', client_id: 'latch-web', scope: 'api', ver: 0 })
    t.is(claims.exp! - claims.iat!, 300)
    t.is(typeof claims.jti, 'string')
    t.is(claims.sid, decodeJwt(user.accessToken).sid, 'the refresh stays in the login session')
  })

  test(`${provider}: only the hash of a refresh token is stored`, async (t) => {
    const user = await registerAndLogin(server())
    const { tokens } = await sessionRows(server(), user.refreshToken)
    const stored = JSON.stringify(tokens)
    t.false(stored.includes(user.refreshToken.slice('latch_rt_'.length)))
    t.is(tokens.length, 1)
  })

  test(`${provider}: unknown and malformed refresh tokens are refused with invalid_grant`, async (t) => {
    for (const refresh_token of ['latch_rt_' + 'A'.repeat(43), 'not-a-token', 'latch_rt_' + 'A'.repeat(42) + '=']) {
      const response = await server().post('/refresh', { refresh_token })
      t.is(response.status, 401)
      t.deepEqual(response.body, {
        error: 'invalid_grant',
        error_description: 'The provided credentials or refresh token are invalid, expired or revoked.',
      })
    }
  })

  test(`${provider}: a replay inside the grace window gets the same successor and does not fork the family`, async (t) => {
    const user = await registerAndLogin(server())
    const first = await server().post('/refresh', { refresh_token: user.refreshToken })
    const replay = await server().post('/refresh', { refresh_token: user.refreshToken })
    t.is(replay.status, 200, replay.text)
    t.is(replay.body.refresh_token, first.body.refresh_token)
    const { tokens, session } = await sessionRows(server(), user.refreshToken)
    t.is(tokens.length, 2, 'one login token and exactly one successor')
    t.is(session.revokedAt, null)
  })

  test(`${provider}: many parallel refreshes of one token end with one family, one successor and no 500`, async (t) => {
    const user = await registerAndLogin(server())
    const responses = await Promise.all(
      Array.from({ length: 24 }, () => server().post('/refresh', { refresh_token: user.refreshToken })),
    )
    t.deepEqual(new Set(responses.map((response) => response.status)), new Set([200]))
    t.is(new Set(responses.map((response) => response.body.refresh_token)).size, 1, 'every request got the same successor')
    const { tokens, session } = await sessionRows(server(), user.refreshToken)
    t.is(tokens.length, 2)
    const consumed = tokens.filter((token) => token.usedAt !== null)
    t.is(consumed.length, 1)
    t.truthy(consumed[0]!.successorId)
    t.is(session.revokedAt, null)
    const next = await server().post('/refresh', { refresh_token: responses[0]!.body.refresh_token })
    t.is(next.status, 200, 'the single successor still works')
  })
})

for (const provider of PROVIDERS) {
  const clocked = async (env: Record<string, string> = {}) => {
    const clock = new TestClock()
    return { clock, server: await TestLatch.start(provider, { clock, env }) }
  }

  test(`${provider}: a used token replayed after the grace window revokes the whole session`, async (t) => {
    const { clock, server } = await clocked()
    t.teardown(() => server.close())
    const user = await registerAndLogin(server)
    const rotated = await server.post('/refresh', { refresh_token: user.refreshToken })
    clock.advance(11)
    const replay = await server.post('/refresh', { refresh_token: user.refreshToken })
    t.is(replay.status, 401)
    t.is(replay.body.error, 'invalid_grant')
    const successor = await server.post('/refresh', { refresh_token: rotated.body.refresh_token })
    t.is(successor.status, 401, 'the legitimate successor dies with its family')
    const { session } = await sessionRows(server, user.refreshToken)
    t.truthy(session.revokedAt)
    t.is(session.revokeReason, 'refresh_token_reuse')
    const logged = await server.latch.database.prisma.revocation.findMany({ where: { sessionId: session.id } })
    t.is(logged.length, 1)
    t.like(logged[0], { kind: 'session', userId: user.userId, reason: 'refresh_token_reuse' })
    const audited = await server.latch.database.prisma.auditEvent.findMany({ where: { userId: user.userId, type: 'refresh_reuse_detected' } })
    t.is(audited.length, 1, 'the reuse is in the audit trail')
    t.is(JSON.parse(audited[0]!.detail!).sessionId, session.id)
    const me = await server.get('/me', rotated.body.access_token)
    t.is(me.status, 401, 'access tokens of the revoked session fail live checks')
  })

  test(`${provider}: with the grace window disabled, a concurrent duplicate counts as reuse and nothing returns 500`, async (t) => {
    const { server } = await clocked({ LATCH_REFRESH_REUSE_GRACE: '0' })
    t.teardown(() => server.close())
    const user = await registerAndLogin(server)
    const responses = await Promise.all(Array.from({ length: 12 }, () => server.post('/refresh', { refresh_token: user.refreshToken })))
    const statuses = responses.map((response) => response.status)
    t.is(statuses.filter((status) => status === 200).length, 1, statuses.join(','))
    t.is(statuses.filter((status) => status === 401).length, 11)
    const { tokens } = await sessionRows(server, user.refreshToken)
    t.true(tokens.length <= 2, 'never more than one successor')
  })

  test(`${provider}: an idle session expires`, async (t) => {
    const { clock, server } = await clocked({ LATCH_SESSION_IDLE_TTL: '600', LATCH_SESSION_ABSOLUTE_TTL: '3600' })
    t.teardown(() => server.close())
    const user: LoggedIn = await registerAndLogin(server)
    const login = await server.post('/refresh', { refresh_token: user.refreshToken })
    t.is(login.body.refresh_expires_in, 600)
    clock.advance(599)
    const inTime = await server.post('/refresh', { refresh_token: login.body.refresh_token })
    t.is(inTime.status, 200, 'activity inside the idle window keeps the session alive')
    clock.advance(601)
    const late = await server.post('/refresh', { refresh_token: inTime.body.refresh_token })
    t.is(late.status, 401)
  })

  test(`${provider}: a session ends at its absolute lifetime however active it is`, async (t) => {
    const { clock, server } = await clocked({ LATCH_SESSION_IDLE_TTL: '600', LATCH_SESSION_ABSOLUTE_TTL: '1000' })
    t.teardown(() => server.close())
    const user = await registerAndLogin(server)
    let refreshToken = user.refreshToken
    for (let elapsed = 0; elapsed < 900; elapsed += 300) {
      clock.advance(300)
      const response = await server.post('/refresh', { refresh_token: refreshToken })
      t.is(response.status, 200, `at ${elapsed + 300}s`)
      t.true(response.body.refresh_expires_in <= 1000 - (elapsed + 300))
      refreshToken = response.body.refresh_token
    }
    clock.advance(101)
    const response = await server.post('/refresh', { refresh_token: refreshToken })
    t.is(response.status, 401)
  })
}
