import test from 'ava'
import { decodeJwt } from 'jose'
import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import { PasswordHasher } from '../../src/domain/users/password-hasher.js'
import { PROVIDERS } from '../helpers/databases.js'
import { adminSession, PASSWORD, TestLatch, uniqueEmail } from '../helpers/latch.js'

/** POST /login: a password check that reveals nothing, then a new session. */

/** The real hasher, counting how many argon2 verifications a request costs. */
class CountingHasher extends PasswordHasher {
  verifications = 0
  override async verify(hash: string, password: string): Promise<boolean> {
    this.verifications += 1
    return super.verify(hash, password)
  }
}

for (const provider of PROVIDERS) {
  const start = async () => {
    const hasher = new CountingHasher()
    return { hasher, server: await TestLatch.start(provider, { hasher }) }
  }

  test(`${provider}: a correct password returns a token pair bound to a new session`, async (t) => {
    const { server } = await start()
    t.teardown(() => server.close())
    const email = uniqueEmail()
    const { body: user } = await server.post('/register', { email, password: PASSWORD })
    const response = await server.request('POST', '/login', {
      json: { email: email.toUpperCase(), password: PASSWORD },
      headers: { 'user-agent': 'LatchTest/1.0' },
    })
    t.is(response.status, 200, response.text)
    t.deepEqual(Object.keys(response.body).sort(), ['access_token', 'expires_in', 'refresh_expires_in', 'refresh_token', 'token_type'])
    t.is(response.body.token_type, 'Bearer')
    t.is(response.body.refresh_expires_in, 7 * 86_400)
    t.is(response.headers.get('cache-control'), 'no-store')
    const claims = decodeJwt(response.body.access_token)
    t.is(claims.sub, user.id)
    const session = await server.latch.database.prisma.session.findUniqueOrThrow({ where: { id: claims.sid as string } })
    t.like(session, { userId: user.id, version: 0, userAgent: 'LatchTest/1.0', ip: '127.0.0.1', revokedAt: null })
    t.is(session.expiresAt.getTime() - session.createdAt.getTime(), 30 * 86_400 * 1000)
  })

  test(`${provider}: behind trusted proxies the client's address is the one the outermost appended, not one the client wrote`, async (t) => {
    const server = await TestLatch.start(provider, { env: { LATCH_TRUST_PROXY: 'true' } })
    t.teardown(() => server.close())
    const email = uniqueEmail()
    await server.post('/register', { email, password: PASSWORD })
    const response = await server.request('POST', '/login', {
      json: { email, password: PASSWORD },
      headers: { 'x-forwarded-for': '10.9.8.7, 203.0.113.50' },
    })
    t.is(response.status, 200, response.text)
    const session = await server.latch.database.prisma.session.findUniqueOrThrow({ where: { id: decodeJwt(response.body.access_token).sid as string } })
    t.is(session.ip, '203.0.113.50')

    const twoProxies = await TestLatch.start(provider, { env: { LATCH_TRUST_PROXY: '2' } })
    t.teardown(() => twoProxies.close())
    await twoProxies.post('/register', { email, password: PASSWORD })
    const behindCdn = await twoProxies.request('POST', '/login', {
      json: { email, password: PASSWORD },
      headers: { 'x-forwarded-for': '10.9.8.7, 198.51.100.23, 203.0.113.50' },
    })
    const cdnSession = await twoProxies.latch.database.prisma.session.findUniqueOrThrow({ where: { id: decodeJwt(behindCdn.body.access_token).sid as string } })
    t.is(cdnSession.ip, '198.51.100.23', 'behind two proxies, the address the outer one appended')
  })

  test(`${provider}: a wrong password and an unknown email fail alike, each after one argon2 verification`, async (t) => {
    const { server, hasher } = await start()
    t.teardown(() => server.close())
    const email = uniqueEmail()
    await server.post('/register', { email, password: PASSWORD })

    hasher.verifications = 0
    const wrongPassword = await server.post('/login', { email, password: 'not the password' })
    t.is(hasher.verifications, 1)
    hasher.verifications = 0
    const unknownEmail = await server.post('/login', { email: uniqueEmail('nobody'), password: PASSWORD })
    t.is(hasher.verifications, 1, 'an unknown email still costs a full verification (against a dummy hash)')

    t.is(wrongPassword.status, 401)
    t.is(unknownEmail.status, 401)
    t.deepEqual(wrongPassword.body, unknownEmail.body)
    t.is(wrongPassword.body.error, 'invalid_grant')
  })

  test(`${provider}: a locked account is revealed only to someone who knows its password`, async (t) => {
    const { server } = await start()
    t.teardown(() => server.close())
    const email = uniqueEmail()
    const { body: user } = await server.post('/register', { email, password: PASSWORD })
    await server.latch.core.lockUser({ userId: user.id, reason: 'test' }, OPERATOR_CONTEXT)

    const wrong = await server.post('/login', { email, password: 'not the password' })
    t.is(wrong.status, 401)
    t.is(wrong.body.error, 'invalid_grant')
    const right = await server.post('/login', { email, password: PASSWORD })
    t.is(right.status, 403)
    t.deepEqual(right.body, { error: 'account_locked', error_description: 'This account is locked. Contact an administrator.' })
    t.is(await server.latch.database.prisma.session.count({ where: { userId: user.id } }), 0)
  })

  test(`${provider}: a hash made with outdated parameters is upgraded on the next successful login`, async (t) => {
    const { server } = await start()
    t.teardown(() => server.close())
    const email = uniqueEmail()
    const weak = await new PasswordHasher({ type: 2, memoryCost: 8192, timeCost: 1, parallelism: 1 }).hash(PASSWORD)
    const admin = await adminSession(server)
    await server.latch.database.prisma.user.update({ where: { id: admin.userId }, data: { email, passwordHash: weak } })
    t.is((await server.post('/login', { email, password: PASSWORD })).status, 200)
    const { passwordHash } = await server.latch.database.prisma.user.findUniqueOrThrow({ where: { email } })
    t.not(passwordHash, weak)
    t.regex(passwordHash, /m=19456,p=1,t=2/)
    t.is((await server.post('/login', { email, password: PASSWORD })).status, 200, 'the upgraded hash verifies')
  })
}
