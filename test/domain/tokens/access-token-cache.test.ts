import { pbkdf2 } from 'node:crypto'
import test from 'ava'
import { AccessTokens, type AccessTokensOptions } from '../../../src/domain/tokens/access-tokens.js'
import { KeyRing } from '../../../src/domain/tokens/key-ring.js'
import type { KeyRingSource } from '../../../src/domain/tokens/key-ring-source.js'
import { TestClock } from '../../helpers/clock.js'

/**
 * A token verified twice is remembered by its exact string and not verified again, while expiry
 * and the key ring are still checked on every call, and only for Latch's own audience.
 */

const subject = { userId: 'u1', sessionId: 's1', version: 0, clientId: 'latch-web', scope: 'api', audience: 'latch' }

async function setup(options: Partial<AccessTokensOptions> = {}) {
  let ring = await KeyRing.fromPrivateJwks([await KeyRing.generatePrivateJwk('EdDSA')])
  const keys: KeyRingSource = { current: () => ring, refresh: async () => false, refreshForUnknownKid: async () => false }
  const clock = new TestClock()
  const accessTokens = new AccessTokens({ keys, issuer: 'https://latch.test', audience: 'latch', lifetimeSeconds: 300, clock, leewaySeconds: 5, ...options })
  const replaceRing = (next: KeyRing) => (ring = next)
  return { accessTokens, clock, replaceRing }
}

/** libuv's pool size, as libuv reads it (4 unless UV_THREADPOOL_SIZE says otherwise). */
const POOL_THREADS = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10) || 4

/** Whether `verification` completes before any of the slow jobs queued on libuv's pool ahead of it (twice as many as it has threads). */
async function completesBeforeThePool(verification: () => Promise<unknown>): Promise<boolean> {
  const order: string[] = []
  const busy = Array.from({ length: 2 * POOL_THREADS }, () => new Promise<void>((resolve) => pbkdf2('x', 'y', 200_000, 32, 'sha256', () => (order.push('pool'), resolve()))))
  await verification().then(() => order.push('verified'))
  await Promise.all(busy)
  return order[0] === 'verified'
}

test('a token verified twice is served from memory: the third verification does not queue for the thread pool', async (t) => {
  const { accessTokens } = await setup()
  const { token, claims } = await accessTokens.issue(subject)
  t.false(await completesBeforeThePool(() => accessTokens.verify(token)), 'jose verifies on the pool: the first time waits behind it')
  t.false(await completesBeforeThePool(() => accessTokens.verify(token)), 'the second time too (a token seen once is not kept)')
  t.true(await completesBeforeThePool(() => accessTokens.verify(token)), 'from the third on, no signature check')
  t.deepEqual(await accessTokens.verify(token), claims)
})

test('with cacheSize 0 every verification checks the signature', async (t) => {
  const { accessTokens } = await setup({ cacheSize: 0 })
  const { token } = await accessTokens.issue(subject)
  await accessTokens.verify(token)
  await accessTokens.verify(token)
  t.false(await completesBeforeThePool(() => accessTokens.verify(token)))
})

test('a remembered token still expires at exp plus the leeway', async (t) => {
  const { accessTokens, clock } = await setup()
  const { token } = await accessTokens.issue(subject)
  for (let call = 0; call < 3; call += 1) await accessTokens.verify(token)
  clock.advance(300 + 4)
  t.truthy(await accessTokens.verify(token), 'inside the leeway')
  clock.advance(2)
  await t.throwsAsync(accessTokens.verify(token), { code: 'invalid_token' })
})

test('a remembered token dies with its key: once the kid leaves the ring it is verified again, and fails', async (t) => {
  const { accessTokens, replaceRing } = await setup()
  const { token } = await accessTokens.issue(subject)
  for (let call = 0; call < 3; call += 1) await accessTokens.verify(token)
  replaceRing(await KeyRing.fromPrivateJwks([await KeyRing.generatePrivateJwk('EdDSA')]))
  await t.throwsAsync(accessTokens.verify(token), { code: 'invalid_token' })
})

test('only verifications for Latch\'s own audience are remembered: another audience list is always checked', async (t) => {
  const { accessTokens } = await setup()
  const { token } = await accessTokens.issue(subject)
  for (let call = 0; call < 3; call += 1) await accessTokens.verify(token)
  await t.throwsAsync(accessTokens.verify(token, { audience: ['orders-api'] }), { code: 'invalid_token' })
  t.truthy(await accessTokens.verify(token, { audience: ['orders-api', 'latch'] }))
})

test('a forged token is never served from memory, whatever was verified before', async (t) => {
  const { accessTokens } = await setup()
  const { token } = await accessTokens.issue(subject)
  for (let call = 0; call < 3; call += 1) await accessTokens.verify(token)
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const flipped = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BA' : 'AA'}`
  await t.throwsAsync(accessTokens.verify(flipped), { code: 'invalid_token' })
})
