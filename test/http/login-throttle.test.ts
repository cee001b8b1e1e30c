import test from 'ava'
import { PasswordHasher } from '../../src/domain/users/password-hasher.js'
import { PROVIDERS } from '../helpers/databases.js'
import { PASSWORD, TestLatch, uniqueEmail, type Response } from '../helpers/latch.js'

/**
 * POST /login slows password guessing: failed logins are counted per email and address and per
 * address; a spent count answers 429 before any password is checked, for known and unknown emails
 * alike, and a correct password gives its attempt back.
 */

class CountingHasher extends PasswordHasher {
  verifications = 0
  override async verify(hash: string, password: string): Promise<boolean> {
    this.verifications += 1
    return super.verify(hash, password)
  }
  override async verifyNothing(password: string): Promise<false> {
    this.verifications += 1
    return super.verifyNothing(password)
  }
}

const WINDOW = 60

async function start(env: Record<string, string>) {
  const hasher = new CountingHasher()
  // Proxied, so that each test can speak from addresses of its choosing (X-Forwarded-For).
  const server = await TestLatch.start('sqlite', { hasher, env: { LATCH_TRUST_PROXY: 'true', LATCH_LOGIN_FAILURE_WINDOW: String(WINDOW), ...env } })
  const login = (email: string, password: string, ip = '203.0.113.7') =>
    server.request('POST', '/login', { json: { email, password }, headers: { 'x-forwarded-for': ip } })
  return { server, hasher, login }
}

function assertThrottled(t: import('ava').ExecutionContext, response: Response): void {
  t.is(response.status, 429, response.text)
  t.deepEqual(response.body, { error: 'too_many_requests', error_description: 'Too many failed login attempts. Try again later.' })
  const retryAfter = Number(response.headers.get('retry-after'))
  t.true(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= WINDOW, `Retry-After ${response.headers.get('retry-after')}`)
  t.is(response.headers.get('cache-control'), 'no-store')
}

for (const provider of PROVIDERS) {
  test(`${provider}: after LATCH_LOGIN_MAX_FAILURES wrong passwords the pair gets 429, even with the right password, and no argon2 runs`, async (t) => {
    const hasher = new CountingHasher()
    const server = await TestLatch.start(provider, { hasher, env: { LATCH_TRUST_PROXY: 'true', LATCH_LOGIN_MAX_FAILURES: '3', LATCH_LOGIN_FAILURE_WINDOW: String(WINDOW) } })
    t.teardown(() => server.close())
    const email = uniqueEmail()
    await server.post('/register', { email, password: PASSWORD })
    const login = (password: string, ip = '203.0.113.7', who = email) =>
      server.request('POST', '/login', { json: { email: who, password }, headers: { 'x-forwarded-for': ip } })

    for (let attempt = 1; attempt <= 3; attempt += 1) t.is((await login('not the password')).status, 401, `attempt ${attempt}`)
    hasher.verifications = 0
    assertThrottled(t, await login(PASSWORD))
    assertThrottled(t, await login('not the password', '203.0.113.7', email.toUpperCase()))
    t.is(hasher.verifications, 0, 'a blocked attempt checks no password')

    t.is((await login(PASSWORD, '198.51.100.9')).status, 200, 'the same email from another address is not blocked')
    const other = uniqueEmail()
    await server.post('/register', { email: other, password: PASSWORD })
    t.is((await login(PASSWORD, '203.0.113.7', other)).status, 200, 'another email from the same address is not blocked')
  })
}

test('an unknown email is throttled exactly like a known one', async (t) => {
  const { server, login } = await start({ LATCH_LOGIN_MAX_FAILURES: '2' })
  t.teardown(() => server.close())
  const known = uniqueEmail()
  await server.post('/register', { email: known, password: PASSWORD })
  const unknown = uniqueEmail('nobody')

  const answers = async (email: string) => {
    const responses = [await login(email, 'not the password'), await login(email, 'not the password'), await login(email, 'not the password')]
    return responses.map((response) => ({ status: response.status, body: response.body }))
  }
  const forKnown = await answers(known)
  t.deepEqual(forKnown.map((answer) => answer.status), [401, 401, 429])
  t.deepEqual(await answers(unknown), forKnown)
})

test('a correct password starts the pair\'s count again', async (t) => {
  const { server, login } = await start({ LATCH_LOGIN_MAX_FAILURES: '3' })
  t.teardown(() => server.close())
  const email = uniqueEmail()
  await server.post('/register', { email, password: PASSWORD })

  t.is((await login(email, 'not the password')).status, 401)
  t.is((await login(email, 'not the password')).status, 401)
  t.is((await login(email, PASSWORD)).status, 200)
  for (let attempt = 1; attempt <= 3; attempt += 1) t.is((await login(email, 'not the password')).status, 401, `attempt ${attempt} after the success`)
  assertThrottled(t, await login(email, PASSWORD))
})

test('failures from one address over many emails spend LATCH_LOGIN_MAX_FAILURES_PER_IP; successes do not', async (t) => {
  const { server, login } = await start({ LATCH_LOGIN_MAX_FAILURES_PER_IP: '3' })
  t.teardown(() => server.close())
  const email = uniqueEmail()
  await server.post('/register', { email, password: PASSWORD })

  for (let attempt = 1; attempt <= 5; attempt += 1) t.is((await login(email, PASSWORD)).status, 200, `success ${attempt} gives its point back`)
  for (let attempt = 1; attempt <= 3; attempt += 1) t.is((await login(uniqueEmail('spray'), 'Winter2026!')).status, 401, `spray ${attempt}`)
  assertThrottled(t, await login(uniqueEmail('spray'), 'Winter2026!'))
  assertThrottled(t, await login(email, PASSWORD))
  t.is((await login(email, PASSWORD, '198.51.100.9')).status, 200, 'other addresses are unaffected')
})

test('parallel guesses cannot slip past the count: each takes its point before its password is checked', async (t) => {
  const { server, hasher, login } = await start({ LATCH_LOGIN_MAX_FAILURES: '3' })
  t.teardown(() => server.close())
  const email = uniqueEmail()
  await server.post('/register', { email, password: PASSWORD })
  hasher.verifications = 0

  const responses = await Promise.all(Array.from({ length: 12 }, () => login(email, 'not the password')))
  const statuses = responses.map((response) => response.status).sort()
  t.deepEqual(statuses, [...Array(3).fill(401), ...Array(9).fill(429)])
  t.is(hasher.verifications, 3)
})

test('LATCH_LOGIN_MAX_FAILURES=0 turns the count per email and address off', async (t) => {
  const { server, login } = await start({ LATCH_LOGIN_MAX_FAILURES: '0' })
  t.teardown(() => server.close())
  const email = uniqueEmail()
  await server.post('/register', { email, password: PASSWORD })
  for (let attempt = 1; attempt <= 12; attempt += 1) t.is((await login(email, 'not the password')).status, 401, `attempt ${attempt}`)
  t.is((await login(email, PASSWORD)).status, 200)
})

test('LATCH_LOGIN_MAX_FAILURES_PER_IP=0 turns the count per address off', async (t) => {
  // Past the default of 100 failures from one address; argon2 at its cheapest keeps that quick.
  const hasher = new CountingHasher({ type: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 })
  const server = await TestLatch.start('sqlite', { hasher, env: { LATCH_TRUST_PROXY: 'true', LATCH_LOGIN_MAX_FAILURES_PER_IP: '0' } })
  t.teardown(() => server.close())
  const statuses = new Set<number>()
  for (let attempt = 1; attempt <= 105; attempt += 1) {
    const response = await server.request('POST', '/login', { json: { email: uniqueEmail('spray'), password: 'Winter2026!' }, headers: { 'x-forwarded-for': '203.0.113.7' } })
    statuses.add(response.status)
  }
  t.deepEqual([...statuses], [401])
})

test('retrying a blocked email spends nothing of its address\'s count', async (t) => {
  const { server, login } = await start({ LATCH_LOGIN_MAX_FAILURES: '2', LATCH_LOGIN_MAX_FAILURES_PER_IP: '4' })
  t.teardown(() => server.close())
  const email = uniqueEmail()
  const colleague = uniqueEmail('colleague')
  await server.post('/register', { email: colleague, password: PASSWORD })
  for (let attempt = 1; attempt <= 2; attempt += 1) t.is((await login(email, 'not the password')).status, 401)
  for (let attempt = 1; attempt <= 8; attempt += 1) t.is((await login(email, PASSWORD)).status, 429, `retry ${attempt}`)
  t.is((await login(colleague, PASSWORD)).status, 200, 'someone else behind the same address still logs in')
})

test('IPv6 addresses of one /64 share the count per address', async (t) => {
  const { server, login } = await start({ LATCH_LOGIN_MAX_FAILURES_PER_IP: '2' })
  t.teardown(() => server.close())
  t.is((await login(uniqueEmail('v6'), 'Winter2026!', '2001:db8:1:2::a')).status, 401)
  t.is((await login(uniqueEmail('v6'), 'Winter2026!', '2001:db8:1:2::b')).status, 401)
  assertThrottled(t, await login(uniqueEmail('v6'), 'Winter2026!', '2001:db8:1:2:ffff::1'))
  t.is((await login(uniqueEmail('v6'), 'Winter2026!', '2001:db8:1:3::1')).status, 401, 'the next /64 is another client')
})

test('the default allows 10 failures for one email and address, then blocks', async (t) => {
  const { server, login } = await start({})
  t.teardown(() => server.close())
  const email = uniqueEmail()
  await server.post('/register', { email, password: PASSWORD })
  for (let attempt = 1; attempt <= 10; attempt += 1) t.is((await login(email, 'not the password')).status, 401, `attempt ${attempt}`)
  assertThrottled(t, await login(email, PASSWORD))
})
