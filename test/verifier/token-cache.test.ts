import test from 'ava'
import { ExpiringCache } from '../../src/verifier/token-cache.js'
import { TestClock } from '../helpers/clock.js'
import { FeedFixture } from '../helpers/feed-fixture.js'
import { outcome, verifierFor } from '../helpers/verifier.js'

/**
 * The exact-token cache: a repeated token skips signature verification until its exp, but the
 * revocation check runs on every request, cached or not.
 */

test('entries expire at their own instant, checked against the caller clock', (t) => {
  const cache = new ExpiringCache<string>(10)
  cache.set('a', 'A', 1_000)
  t.is(cache.get('a', 1_000), 'A')
  t.is(cache.get('a', 1_001), undefined)
  t.is(cache.size, 0, 'an expired entry is removed when met')
})

test('the least recently used entry leaves first when full', (t) => {
  const cache = new ExpiringCache<string>(2)
  cache.set('a', 'A', Infinity)
  cache.set('b', 'B', Infinity)
  cache.get('a', 0)
  cache.set('c', 'C', Infinity)
  t.is(cache.get('b', 0), undefined, 'b was the least recently used')
  t.is(cache.get('a', 0), 'A')
  t.is(cache.get('c', 0), 'C')
  t.is(cache.size, 2)
})

test('capacity 0 caches nothing', (t) => {
  const cache = new ExpiringCache<string>(0)
  cache.set('a', 'A', Infinity)
  t.is(cache.get('a', 0), undefined)
})

test('a repeated token skips signature verification', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const token = await fixture.accessToken(fixture.session())
  const first = await verifier.verify(token)
  t.is(verifier.stats().cacheHits, 0)
  const second = await verifier.verify(token)
  t.is(second, first, 'the very claims object verified the first time')
  t.like(verifier.stats(), { cacheHits: 1, verified: 2, tokenCache: { size: 1 } })
})

test('a revocation arriving after a token was cached still rejects it, whatever its kind', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const bySession = fixture.session()
  const byVersion = fixture.session()
  const byLock = fixture.session()
  const byJti = fixture.session()
  const tokens = {
    session: await fixture.accessToken(bySession),
    user_version: await fixture.accessToken(byVersion),
    user_disabled: await fixture.accessToken(byLock),
    access_token: await fixture.accessToken(byJti, { jti: 'revoke-me' }),
  }
  for (const token of Object.values(tokens)) await verifier.verify(token)
  const kinds = new Set<string>()
  const all = new Promise<void>((resolve) => {
    verifier.on('revocation', (revocation) => {
      kinds.add(revocation.kind)
      if (kinds.size === 4) resolve()
    })
  })
  await fixture.revokeSession(bySession)
  await fixture.revoke({ kind: 'user_version', sub: byVersion.sub, minVer: 1 })
  await fixture.revoke({ kind: 'user_disabled', sub: byLock.sub })
  await fixture.revoke({ kind: 'access_token', sub: byJti.sub, jti: 'revoke-me' })
  await all
  const hitsBefore = verifier.stats().cacheHits
  for (const [kind, token] of Object.entries(tokens)) t.is(await outcome(verifier, token), `revoked/${kind}`)
  t.is(verifier.stats().cacheHits, hitsBefore + 4, 'each came from the cache, and was refused all the same')
})

test('a cached token is dropped at exp plus the leeway: expired, not served from the cache', async (t) => {
  const clock = new TestClock()
  const fixture = await FeedFixture.for(t, { clock, accessTokenTtl: 60 })
  // staleAfter beyond the token's lifetime, so that moving the clock tests expiry alone.
  const verifier = verifierFor(t, fixture, { clock, leeway: 5, staleAfter: 120_000 })
  await verifier.ready()
  const token = await fixture.accessToken(fixture.session())
  await verifier.verify(token)
  const exp = Math.floor(clock.now().getTime() / 1000) + 60
  clock.advance(exp + 5 - clock.now().getTime() / 1000 - 0.01)
  t.is(await outcome(verifier, token), 'accepted', 'just inside the leeway')
  clock.advance(0.01)
  t.is(await outcome(verifier, token), 'invalid_token/expired')
})

test('the cache is bounded by tokenCacheSize', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture, { tokenCacheSize: 2 })
  await verifier.ready()
  const tokens = await Promise.all([1, 2, 3].map(() => fixture.accessToken(fixture.session())))
  for (const token of tokens) await verifier.verify(token)
  t.is(verifier.stats().tokenCache.size, 2)
  await verifier.verify(tokens[0]!)
  t.is(verifier.stats().cacheHits, 0, 'the oldest was evicted, so it was verified again')
})
