import test from 'ava'
import { importSigningKey, KeyRing } from '../../../src/domain/tokens/key-ring.js'
import { ringAt, signerAt, stateAt, type KeyTimes, type ScheduledKey } from '../../../src/domain/tokens/key-schedule.js'

/** Which key signs and which are published follows from the keys' timestamps alone. */

const at = (seconds: number) => new Date(Date.UTC(2030, 0, 1) + seconds * 1000)

async function key(kid: string, times: { created: number; activates: number; retires?: number }): Promise<ScheduledKey> {
  const jwk = await KeyRing.generatePrivateJwk('EdDSA')
  const schedule: KeyTimes = { createdAt: at(times.created), activatesAt: at(times.activates), retiresAt: times.retires === undefined ? null : at(times.retires) }
  return { ...(await importSigningKey({ ...jwk, kid })), ...schedule }
}

test('a rotation moves through pending, active, retiring and retired, and the JWKS follows', async (t) => {
  const old = await key('old', { created: 0, activates: 0, retires: 1000 })
  const next = await key('next', { created: 100, activates: 400 })
  const keys = [old, next]
  const view = (seconds: number) => {
    const now = at(seconds)
    const signer = signerAt(keys, now)!.kid
    return { signer, states: keys.map((k) => stateAt(k, signer, now)), published: ringAt(keys, now)!.ring.kids }
  }
  t.deepEqual(view(50), { signer: 'old', states: ['active', 'pending'], published: ['old'] }, 'before the new key exists')
  t.deepEqual(view(100), { signer: 'old', states: ['active', 'pending'], published: ['next', 'old'] }, 'published before it signs')
  t.deepEqual(view(400), { signer: 'next', states: ['retiring', 'active'], published: ['next', 'old'] })
  t.deepEqual(view(999), { signer: 'next', states: ['retiring', 'active'], published: ['next', 'old'] })
  t.deepEqual(view(1000), { signer: 'next', states: ['retired', 'active'], published: ['next'] }, 'gone at the retire instant')
})

test('the ring is valid until the next instant a key is created, activates or retires', async (t) => {
  const keys = [await key('old', { created: 0, activates: 0, retires: 1000 }), await key('next', { created: 100, activates: 400 })]
  t.deepEqual(ringAt(keys, at(50))!.validUntil, at(100))
  t.deepEqual(ringAt(keys, at(100))!.validUntil, at(400))
  t.deepEqual(ringAt(keys, at(400))!.validUntil, at(1000))
  t.is(ringAt(keys, at(1000))!.validUntil, null)
})

test('replicas that inserted first keys in the same instant agree on the signer by kid', async (t) => {
  const keys = [await key('b', { created: 0, activates: 0 }), await key('a', { created: 0, activates: 0 })]
  t.is(signerAt(keys, at(1))!.kid, 'b')
  t.is(signerAt([...keys].reverse(), at(1))!.kid, 'b')
})

test('a replica whose clock lags the first key still signs with it, and publishes it', async (t) => {
  const keys = [await key('first', { created: 10, activates: 10 })]
  const ring = ringAt(keys, at(5))!.ring
  t.is(ring.active.kid, 'first')
  t.deepEqual(ring.kids, ['first'])
})

test('no live key, no ring', async (t) => {
  t.is(ringAt([await key('gone', { created: 0, activates: 0, retires: 10 })], at(10)), null)
})
