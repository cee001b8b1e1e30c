import test from 'ava'
import { RevocationSet, type Revocation, type RevocableClaims } from '../../src/verifier/revocation-set.js'

/** The in-memory revocation set: which tokens each kind of entry rejects, for how long, and within what bound. */

const NOW = Date.UTC(2030, 0, 1)
const LATER = NOW + 300_000
const GRACE = 5_000

const token = (overrides: Partial<RevocableClaims> = {}): RevocableClaims => ({ sub: 'alice', sid: 's1', ver: 3, jti: 'j1', ...overrides })
const newSet = (maxEntries = 100) => new RevocationSet({ maxEntries, graceMs: GRACE })
let cursor = 0
type Input<R = Revocation> = R extends Revocation ? Omit<R, 'cursor' | 'reason' | 'expiresAt'> & Partial<Pick<R, 'cursor' | 'expiresAt'>> : never
const at = (entry: Input): Revocation => ({ cursor: String(++cursor), reason: null, expiresAt: LATER, ...entry }) as Revocation

test('a revoked session rejects the tokens of that sid only', (t) => {
  const set = newSet()
  t.is(set.apply(at({ kind: 'session', sub: 'alice', sid: 's1' }), NOW), 'applied')
  t.is(set.check(token(), NOW), 'session')
  t.is(set.check(token({ sid: 's2' }), NOW), null, 'another session of the same user')
  t.is(set.check(token({ sub: 'bob', sid: 's3' }), NOW), null)
})

test('a min_ver rejects the tokens of that sub whose ver is below it, and only those', (t) => {
  const set = newSet()
  set.apply(at({ kind: 'user_version', sub: 'alice', minVer: 4 }), NOW)
  t.is(set.check(token({ ver: 3 }), NOW), 'user_version')
  t.is(set.check(token({ ver: 0 }), NOW), 'user_version')
  t.is(set.check(token({ ver: 4 }), NOW), null, 'a token issued after the logout-all')
  t.is(set.check(token({ sub: 'bob', ver: 0 }), NOW), null)
})

test('a later, lower min_ver never weakens a higher one', (t) => {
  const set = newSet()
  set.apply(at({ kind: 'user_version', sub: 'alice', minVer: 5 }), NOW)
  set.apply(at({ kind: 'user_version', sub: 'alice', minVer: 2 }), NOW)
  t.is(set.check(token({ ver: 4 }), NOW), 'user_version')
  t.is(set.size, 1, 'one entry per subject')
})

test('a disabled sub rejects every token of it until a later account-enabled lifts it', (t) => {
  const set = newSet()
  const disabled = at({ kind: 'user_disabled', sub: 'alice' })
  set.apply(disabled, NOW)
  t.is(set.check(token({ ver: 99, sid: 'new' }), NOW), 'user_disabled')
  set.apply(at({ kind: 'user_enabled', sub: 'alice' }), NOW)
  t.is(set.check(token({ ver: 99, sid: 'new' }), NOW), null)
})

test('an account-enabled older than the account-disabled does not lift it', (t) => {
  const set = newSet()
  set.apply(at({ kind: 'user_disabled', sub: 'alice', cursor: '20' }), NOW)
  set.apply(at({ kind: 'user_enabled', sub: 'alice', cursor: '19' }), NOW)
  t.is(set.check(token(), NOW), 'user_disabled')
})

test('lifting a lock leaves the tokens from before it dead through their min_ver', (t) => {
  const set = newSet()
  set.apply(at({ kind: 'user_version', sub: 'alice', minVer: 4 }), NOW)
  set.apply(at({ kind: 'user_disabled', sub: 'alice' }), NOW)
  set.apply(at({ kind: 'user_enabled', sub: 'alice' }), NOW)
  t.is(set.check(token({ ver: 3 }), NOW), 'user_version')
  t.is(set.check(token({ ver: 4 }), NOW), null)
})

test('a revoked jti rejects that access token only', (t) => {
  const set = newSet()
  set.apply(at({ kind: 'access_token', sub: 'alice', jti: 'j1' }), NOW)
  t.is(set.check(token(), NOW), 'access_token')
  t.is(set.check(token({ jti: 'j2' }), NOW), null)
})

test('an entry matters until latch_expires_at plus the grace, then leaves lazily', (t) => {
  const set = newSet()
  set.apply(at({ kind: 'session', sub: 'alice', sid: 's1', expiresAt: LATER }), NOW)
  t.is(set.check(token(), LATER + GRACE), 'session', 'still there at the last instant')
  t.is(set.size, 1)
  t.is(set.check(token(), LATER + GRACE + 1), null)
  t.is(set.size, 0, 'removed by the check that found it lapsed')
})

test('the sweep removes every lapsed entry of every kind and keeps the live ones', (t) => {
  const set = newSet()
  set.apply(at({ kind: 'session', sub: 'a', sid: 's', expiresAt: NOW + 1_000 }), NOW)
  set.apply(at({ kind: 'access_token', sub: 'a', jti: 'j', expiresAt: NOW + 1_000 }), NOW)
  set.apply(at({ kind: 'user_version', sub: 'a', minVer: 1, expiresAt: NOW + 1_000 }), NOW)
  set.apply(at({ kind: 'user_disabled', sub: 'a', expiresAt: NOW + 1_000 }), NOW)
  set.apply(at({ kind: 'session', sub: 'b', sid: 'kept', expiresAt: LATER }), NOW)
  t.is(set.size, 5)
  t.is(set.sweep(NOW + 1_000 + GRACE + 1), 4)
  t.is(set.size, 1)
  t.is(set.check(token({ sub: 'b', sid: 'kept' }), NOW + 1_000 + GRACE + 1), 'session')
})

test('an entry that has already lapsed is not stored', (t) => {
  const set = newSet()
  t.is(set.apply(at({ kind: 'session', sub: 'a', sid: 's', expiresAt: NOW - GRACE - 1 }), NOW), 'expired')
  t.is(set.size, 0)
})

test('past the cap an entry is refused, none is dropped, and the set says it overflowed', (t) => {
  const set = newSet(3)
  for (const sid of ['s1', 's2', 's3']) t.is(set.apply(at({ kind: 'session', sub: 'a', sid }), NOW), 'applied')
  t.false(set.overflowed)
  t.is(set.apply(at({ kind: 'session', sub: 'a', sid: 's4' }), NOW), 'overflow')
  t.true(set.overflowed)
  t.is(set.size, 3)
  for (const sid of ['s1', 's2', 's3']) t.is(set.check(token({ sub: 'a', sid }), NOW), 'session', `${sid} is still revoked`)
  t.is(set.check(token({ sub: 'a', sid: 's4' }), NOW), null, 'the refused entry is unknown: hence the overflow flag')
})

test('at the cap, lapsed entries make room before anything is refused', (t) => {
  const set = newSet(2)
  set.apply(at({ kind: 'session', sub: 'a', sid: 'old', expiresAt: NOW - GRACE - 1 }), NOW - 10_000)
  set.apply(at({ kind: 'session', sub: 'a', sid: 's2' }), NOW)
  t.is(set.apply(at({ kind: 'session', sub: 'a', sid: 's3' }), NOW), 'applied')
  t.false(set.overflowed)
})

test('at the cap, an entry that updates an existing key still fits', (t) => {
  const set = newSet(1)
  set.apply(at({ kind: 'user_version', sub: 'a', minVer: 1 }), NOW)
  t.is(set.apply(at({ kind: 'user_version', sub: 'a', minVer: 2 }), NOW), 'applied')
  t.is(set.check(token({ sub: 'a', ver: 1 }), NOW), 'user_version')
  t.false(set.overflowed)
})

test('clear (a reset) empties the set and ends an overflow', (t) => {
  const set = newSet(1)
  set.apply(at({ kind: 'session', sub: 'a', sid: 's1' }), NOW)
  set.apply(at({ kind: 'session', sub: 'a', sid: 's2' }), NOW)
  t.true(set.overflowed)
  set.clear()
  t.false(set.overflowed)
  t.is(set.size, 0)
  t.is(set.check(token({ sub: 'a', sid: 's1' }), NOW), null)
})
