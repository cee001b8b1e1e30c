import test from 'ava'
import { ExpiringCache, TokenCache } from '../../src/verifier/token-cache.js'
import { TestClock } from '../helpers/clock.js'
import { FeedFixture } from '../helpers/feed-fixture.js'
import { outcome, verifierFor } from '../helpers/verifier.js'

/**
 * The exact-token cache: a repeated token skips signature verification until its exp (from its
 * second verification on), but the revocation check runs on every request, cached or not.
 */

test('entries expire at their own instant, checked against the caller clock', (t) => {
  const cache = new ExpiringCache<{ name: string; until: number }>(10, (entry) => entry.until)
  const a = { name: 'A', until: 1_000 }
  cache.set('a', a)
  t.is(cache.get('a', 1_000), a)
  t.is(cache.get('a', 1_001), undefined)
  t.is(cache.size, 0, 'an expired entry is removed when met')
})

test('the least recently used entry leaves first when full', (t) => {
  const cache = new ExpiringCache<string>(2, () => Infinity)
  cache.set('a', 'A')
  cache.set('b', 'B')
  cache.get('a', 0)
  cache.set('c', 'C')
  t.is(cache.get('b', 0), undefined, 'b was the least recently used')
  t.is(cache.get('a', 0), 'A')
  t.is(cache.get('c', 0), 'C')
  t.is(cache.size, 2)
})

test('capacity 0 caches nothing', (t) => {
  const cache = new ExpiringCache<string>(0, () => Infinity)
  cache.set('a', 'A')
  t.is(cache.get('a', 0), undefined)
})

test('a token is admitted on its second verification; one seen once leaves only a fingerprint', (t) => {
  const cache = new TokenCache<string>(10, () => Infinity)
  cache.offer('token-a', 'A')
  t.is(cache.get('token-a', 0), undefined)
  t.is(cache.size, 0, 'a token seen once takes no room')
  cache.offer('token-a', 'A')
  t.is(cache.get('token-a', 0), 'A')
  t.is(cache.size, 1)
})

test('tokens seen once never push out the ones clients repeat', (t) => {
  const cache = new TokenCache<string>(2, () => Infinity)
  cache.offer('kept', 'K')
  cache.offer('kept', 'K')
  for (let index = 0; index < 10_000; index++) cache.offer(`one-off-${index}`, 'x')
  t.is(cache.get('kept', 0), 'K')
})

test('a repeated token skips signature verification', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const token = await fixture.accessToken(fixture.session())
  await verifier.verify(token)
  const admitted = await verifier.verify(token)
  t.is(verifier.stats().cacheHits, 0, 'verified twice: now admitted')
  const third = await verifier.verify(token)
  t.is(third, admitted, 'the very claims object verified before')
  await verifier.verify(token)
  t.like(verifier.stats(), { cacheHits: 2, verified: 4, tokenCache: { size: 1 } })
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
  for (const token of Object.values(tokens)) for (const _ of [1, 2]) await verifier.verify(token)
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
  for (const token of tokens) for (const _ of [1, 2]) await verifier.verify(token)
  t.is(verifier.stats().tokenCache.size, 2)
  await verifier.verify(tokens[0]!)
  t.is(verifier.stats().cacheHits, 0, 'the oldest was evicted, so it was verified again')
})
