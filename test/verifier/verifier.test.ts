import test from 'ava'
import { VerifierError } from '../../src/verifier/index.js'
import { TestClock } from '../helpers/clock.js'
import { FeedFixture } from '../helpers/feed-fixture.js'
import { nextEvent, outcome, verifierFor } from '../helpers/verifier.js'

/**
 * The verifier as a whole, against a real HTTP server speaking the feed protocol: discovery,
 * keys, the revocation feed, staleness (on an injected clock) and its two policies.
 */


test('once ready, a valid token verifies with no network call', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const requests = fixture.requests.length
  const session = fixture.session()
  const claims = await verifier.verify(await fixture.accessToken(session))
  t.like(claims, { sub: session.sub, sid: session.sid, iss: fixture.issuer })
  t.is(fixture.requests.length, requests, 'neither the JWKS nor anything else was fetched to verify')
  t.deepEqual(
    fixture.requests.slice(0, 3).map((request) => request.path),
    ['/.well-known/oauth-authorization-server', '/.well-known/jwks.json', '/events/stream'],
  )
})

test('without feed endpoints in the metadata, the default paths are used', async (t) => {
  const fixture = await FeedFixture.for(t, { advertiseFeed: false })
  await verifierFor(t, fixture).ready()
  await verifierFor(t, fixture, { mode: 'poll' }).ready()
  t.true(fixture.requests.some((request) => request.path === '/events/stream'))
  t.true(fixture.requests.some((request) => request.path === '/events'))
})

test('metadata that names another issuer is refused: nothing verifies', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, { ...fixture, issuer: `${fixture.issuer}/` })
  t.is(await outcome(verifier, await fixture.accessToken(fixture.session())), 'stale/discovery')
  t.false(fixture.requests.some((request) => request.path === '/.well-known/jwks.json'), 'no keys taken from it')
})

test('each kind of revocation pushed on the stream rejects its tokens at once', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const alice = fixture.session({ ver: 1 })
  const aliceOtherDevice = fixture.session({ sub: alice.sub, ver: 1 })
  const bob = fixture.session()
  const carol = fixture.session()
  const dave = fixture.session()
  const [aliceToken, aliceOtherToken, bobToken, carolToken, daveToken, daveOtherToken] = await Promise.all([
    fixture.accessToken(alice),
    fixture.accessToken(aliceOtherDevice),
    fixture.accessToken(bob),
    fixture.accessToken(carol),
    fixture.accessToken(dave, { jti: 'dave-1' }),
    fixture.accessToken(dave, { jti: 'dave-2' }),
  ])
  for (const token of [aliceToken, aliceOtherToken, bobToken, carolToken, daveToken]) t.is(await outcome(verifier, token), 'accepted')

  const applied = (kind: string) => nextEvent(verifier, 'revocation', (revocation) => revocation.kind === kind)
  let seen = applied('session')
  await fixture.revokeSession(alice)
  await seen
  t.is(await outcome(verifier, aliceToken), 'revoked/session')
  t.is(await outcome(verifier, aliceOtherToken), 'accepted', 'the same user on another session')

  seen = applied('user_version')
  await fixture.revoke({ kind: 'user_version', sub: bob.sub, minVer: 1 })
  await seen
  t.is(await outcome(verifier, bobToken), 'revoked/user_version')
  t.is(await outcome(verifier, await fixture.accessToken({ ...bob, ver: 1 })), 'accepted', 'a token issued after the logout-all')

  seen = applied('user_disabled')
  await fixture.revoke({ kind: 'user_disabled', sub: carol.sub })
  await seen
  t.is(await outcome(verifier, carolToken), 'revoked/user_disabled')
  seen = applied('user_enabled')
  await fixture.revoke({ kind: 'user_enabled', sub: carol.sub })
  await seen
  t.is(await outcome(verifier, carolToken), 'accepted', 'unlocked (Latch also bumps the version at lockout; this entry alone lifts the lock)')

  seen = applied('access_token')
  await fixture.revoke({ kind: 'access_token', sub: dave.sub, jti: 'dave-1' })
  await seen
  t.is(await outcome(verifier, daveToken), 'revoked/access_token')
  t.is(await outcome(verifier, daveOtherToken), 'accepted')
})

test('fail-closed: stale after staleAfter of silence (injected clock), fresh again at the next heartbeat', async (t) => {
  const clock = new TestClock()
  const fixture = await FeedFixture.for(t, { clock })
  const verifier = verifierFor(t, fixture, { clock, staleAfter: 10_000 })
  await verifier.ready()
  const token = await fixture.accessToken(fixture.session())
  t.is(await outcome(verifier, token), 'accepted')

  clock.advance(10)
  t.is(await outcome(verifier, token), 'accepted', 'exactly staleAfter: still fresh')
  const staled = nextEvent(verifier, 'stale')
  clock.advance(0.001)
  t.is(await outcome(verifier, token), 'stale/silent')
  t.deepEqual(await staled, [{ reason: 'silent' }])
  t.like(verifier.stats(), { fresh: false, staleReason: 'silent' })

  const freshened = nextEvent(verifier, 'fresh')
  fixture.heartbeat()
  await freshened
  t.is(await outcome(verifier, token), 'accepted')
})

test('a stale refusal carries an HTTP 503 answer with a clear reason and no token', async (t) => {
  const clock = new TestClock()
  const fixture = await FeedFixture.for(t, { clock })
  const verifier = verifierFor(t, fixture, { clock })
  await verifier.ready()
  clock.advance(11)
  const token = await fixture.accessToken(fixture.session())
  const error = await t.throwsAsync(verifier.verify(token), { instanceOf: VerifierError })
  const response = error!.toResponse()
  t.is(response.status, 503)
  t.is(response.body.error, 'temporarily_unavailable')
  t.regex(response.body.error_description, /revocation feed/)
  t.false(JSON.stringify(response).includes(token.split('.')[2]!))
})

test('introspect: while stale, each token is asked about (client_secret_basic), with a short cache', async (t) => {
  const clock = new TestClock()
  const fixture = await FeedFixture.for(t, { clock })
  const verifier = verifierFor(t, fixture, { clock, onStale: 'introspect', introspectionCacheTtl: 3_000 })
  await verifier.ready()
  const active = await fixture.accessToken(fixture.session())
  const inactive = await fixture.accessToken(fixture.session())
  fixture.introspect = (token) => token === active
  const introspections = () => fixture.requests.filter((request) => request.path === '/oauth/introspect')

  t.is(await outcome(verifier, active), 'accepted')
  t.is(introspections().length, 0, 'fresh: no introspection')

  clock.advance(11)
  t.is(await outcome(verifier, active), 'accepted')
  t.is(await outcome(verifier, inactive), 'revoked/inactive')
  t.is(introspections().length, 2)
  t.regex(String(introspections()[0]!.headers.authorization), /^Basic /)
  t.is(await outcome(verifier, active), 'accepted')
  t.is(await outcome(verifier, inactive), 'revoked/inactive')
  t.is(introspections().length, 2, 'answers reused within the cache time')

  fixture.introspect = () => false
  clock.advance(3.001)
  t.is(await outcome(verifier, active), 'revoked/inactive', 'asked again once the cached answer lapsed')
  t.is(introspections().length, 3)
  t.like(verifier.stats().introspection, { requests: 3, cacheHits: 2 })
})

test('introspect: a failing introspection endpoint makes the answer stale, never an acceptance', async (t) => {
  const clock = new TestClock()
  const fixture = await FeedFixture.for(t, { clock })
  const verifier = verifierFor(t, fixture, { clock, onStale: 'introspect' })
  await verifier.ready()
  fixture.introspect = () => 'error'
  clock.advance(11)
  t.is(await outcome(verifier, await fixture.accessToken(fixture.session())), 'stale/introspection_failed')
})

test('introspect: a revocation the verifier knows of is refused without asking', async (t) => {
  const clock = new TestClock()
  const fixture = await FeedFixture.for(t, { clock })
  const verifier = verifierFor(t, fixture, { clock, onStale: 'introspect' })
  await verifier.ready()
  const session = fixture.session()
  const token = await fixture.accessToken(session)
  const seen = nextEvent(verifier, 'revocation')
  await fixture.revokeSession(session)
  await seen
  clock.advance(11)
  t.is(await outcome(verifier, token), 'revoked/session')
  t.false(fixture.requests.some((request) => request.path === '/oauth/introspect'))
})

test('a full revocation set makes the verifier stale, says so, and rebuilds once there is room', async (t) => {
  const clock = new TestClock()
  const fixture = await FeedFixture.for(t, { clock })
  const verifier = verifierFor(t, fixture, { clock, maxEntries: 2, sweepInterval: 20 })
  await verifier.ready()
  const sessions = [fixture.session(), fixture.session(), fixture.session()]
  const tokens = await Promise.all(sessions.map((session) => fixture.accessToken(session)))
  const expiresAt = Math.floor(clock.now().getTime() / 1000) + 60
  const overflowed = nextEvent(verifier, 'overflow')
  const staled = nextEvent(verifier, 'stale')
  await fixture.revokeSession(sessions[0]!, expiresAt)
  await fixture.revokeSession(sessions[1]!, expiresAt)
  const third = await fixture.revokeSession(sessions[2]!, expiresAt + 600)
  await overflowed
  t.deepEqual(await staled, [{ reason: 'capacity' }])
  t.like(verifier.stats(), { overflowed: true, entries: 2, fresh: false, staleReason: 'capacity' })
  t.is(await outcome(verifier, tokens[0]!), 'revoked/session', 'stored revocations still hold')
  t.is(await outcome(verifier, tokens[2]!), 'stale/capacity', 'the one that did not fit is not accepted either')

  // The first two lapse (and Latch prunes them); the sweep makes room and the verifier starts over.
  fixture.pruneThrough(String(Number(third) - 1))
  clock.advance(60 + 5 + 1)
  const rebuilt = nextEvent(verifier, 'fresh')
  await rebuilt
  t.like(verifier.stats(), { overflowed: false, entries: 1 })
  t.is(fixture.streamResumes.at(-1), null, 'reconnected without a cursor, so the feed resent everything')
  t.is(await outcome(verifier, tokens[2]!), 'revoked/session')
})

test('close stops the feed; later verifications are stale, and ready() of a verifier never fresh rejects', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const token = await fixture.accessToken(fixture.session())
  await verifier.close()
  t.is(await outcome(verifier, token), 'stale/closed')
  await fixture.noOpenStreams()

  fixture.feedStatus = 503
  const never = verifierFor(t, fixture)
  await nextEvent(never, 'disconnect')
  const closing = never.close()
  await t.throwsAsync(never.ready(), { instanceOf: VerifierError, message: /closed/ })
  await closing
})

test('stats count what happened', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const session = fixture.session()
  const token = await fixture.accessToken(session)
  await verifier.verify(token)
  await verifier.verify(token) // admitted to the cache
  await verifier.verify(token) // from the cache
  await outcome(verifier, 'garbage')
  const seen = nextEvent(verifier, 'revocation')
  const cursor = await fixture.revokeSession(session)
  await seen
  await outcome(verifier, token)
  const stats = verifier.stats()
  t.like(stats, {
    mode: 'stream',
    fresh: true,
    verified: 3,
    cacheHits: 2, // the third acceptance and the revoked one skipped the signature check
    rejected: { invalid_token: 1, revoked: 1, stale: 0 },
    rejectedReasons: { malformed: 1, session: 1 },
    appliedSets: 1,
    resets: 1,
    cursor,
    entries: 1,
    overflowed: false,
  })
  t.is(typeof stats.lastHeardAt, 'number')
})

test('logs and errors never contain a token', async (t) => {
  const logs: string[] = []
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture, { logger: { warn: (message) => logs.push(message) } })
  await verifier.ready()
  const session = fixture.session()
  const tokens = [
    await fixture.accessToken(session),
    await fixture.accessToken(session, { aud: 'https://other.example' }),
    await fixture.accessToken(session, { exp: 1 }),
  ]
  const seen = nextEvent(verifier, 'revocation')
  await fixture.revokeSession(session)
  await seen
  fixture.dropStreams()
  await nextEvent(verifier, 'disconnect')
  const messages: string[] = []
  for (const token of tokens) {
    const error = await t.throwsAsync(verifier.verify(token), { instanceOf: VerifierError })
    messages.push(error!.message, JSON.stringify(error!.toResponse()), String(error!.stack))
  }
  t.true(logs.length > 0, 'the disconnect was logged')
  for (const token of tokens) {
    const signature = token.split('.')[2]!
    for (const text of [...logs, ...messages]) t.false(text.includes(signature), text)
  }
})
