import { pbkdf2 } from 'node:crypto'
import test from 'ava'
import { argon2Concurrency, PasswordHasher } from '../../../src/domain/users/password-hasher.js'

/**
 * argon2 runs on libuv's thread pool; the hasher bounds how many of its jobs are there at once,
 * so a login flood cannot occupy every thread of the pool.
 */

test('the bound is one job per CPU, always leaving a thread of the pool free', (t) => {
  t.is(argon2Concurrency(4, 2), 2)
  t.is(argon2Concurrency(4, 8), 3)
  t.is(argon2Concurrency(16, 8), 8)
  t.is(argon2Concurrency(1, 8), 1, 'never below one')
  t.is(argon2Concurrency(2, 1), 1)
})

// Serial: two hashers flooding libuv's one pool at once would each see the other's jobs.
test.serial('at most `concurrency` argon2 jobs run at once, and every answer is still right', async (t) => {
  const hasher = new PasswordHasher(undefined, { concurrency: 2 })
  const hash = await hasher.hash('correct horse battery staple')
  const seen: number[] = []
  const verifying = Array.from({ length: 10 }, (_, index) =>
    hasher.verify(hash, index % 2 === 0 ? 'correct horse battery staple' : 'wrong password').finally(() => seen.push(hasher.running)),
  )
  t.is(hasher.running, 2, 'two started, eight waiting')
  const answers = await Promise.all(verifying)
  t.deepEqual(answers, Array.from({ length: 10 }, (_, index) => index % 2 === 0))
  t.true(seen.every((running) => running <= 2), `never more than 2 at once: ${seen.join(', ')}`)
  t.is(hasher.running, 0)
  t.false(await hasher.verify('not an argon2 hash', 'whatever'), 'a malformed hash reads as a wrong password')
  t.is(hasher.running, 0, 'a failed verification frees its slot')
})

test.serial('during a flood of verifications, other users of the thread pool are not queued behind them', async (t) => {
  // libuv's pool has 4 threads here; the bound of 2 leaves 2 of them free.
  const hasher = new PasswordHasher(undefined, { concurrency: 2 })
  const hash = await hasher.hash('correct horse battery staple')
  await hasher.verifyNothing('settles the dummy hash the hasher makes at construction, a pool job too')
  const order: string[] = []
  const flood = Array.from({ length: 12 }, () => hasher.verify(hash, 'correct horse battery staple').then(() => order.push('verified')))
  // A job of microseconds on the pool, as a file read or a WebCrypto verification would be. Were
  // 12 argon2 jobs handed to libuv at once, it would wait behind the first 4 at least.
  await new Promise<void>((resolve) => pbkdf2('x', 'y', 1, 32, 'sha256', () => (order.push('other pool job'), resolve())))
  await Promise.all(flood)
  t.is(order[0], 'other pool job')
})
