import test from 'ava'
import { backoff } from '../../src/verifier/feed-client.js'
import type { IgnoredSetReason } from '../../src/verifier/index.js'
import { FeedFixture, generateSigningKey } from '../helpers/feed-fixture.js'
import { nextEvent, outcome, verifierFor } from '../helpers/verifier.js'

/**
 * The feed client against a real HTTP server speaking the documented wire format: SSE with
 * Last-Event-ID, reset, heartbeats and reconnects, polling with pages, HTTP Basic as RFC 6749
 * section 2.3.1 has it.
 */

test('the edge authenticates with HTTP Basic of its form-urlencoded id and secret', async (t) => {
  // A colon, a plus, a slash, a percent sign and non-ASCII: each survives only if encoded first.
  const fixture = await FeedFixture.for(t, { clientId: 'edge:orders ü', clientSecret: 'p+s/s=w&rd%:' })
  await verifierFor(t, fixture).ready()
  await verifierFor(t, fixture, { mode: 'poll' }).ready()
  const basic = fixture.requests.find((request) => request.path === '/events/stream')!.headers.authorization!
  t.is(Buffer.from(basic.replace(/^Basic /, ''), 'base64').toString('utf8'), 'edge%3Aorders+%C3%BC:p%2Bs%2Fs%3Dw%26rd%25%3A')
})

test('wrong credentials never make the verifier fresh; each 401 is retried', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, { ...fixture, clientSecret: 'wrong' })
  const [first] = await nextEvent(verifier, 'disconnect')
  t.is(first.reason, 'HTTP 401')
  await nextEvent(verifier, 'disconnect')
  t.is(await outcome(verifier, await fixture.accessToken(fixture.session())), 'stale/not_caught_up')
})

test('after EOF it reconnects with Last-Event-ID and receives only what it missed', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const before = fixture.session()
  const seen = nextEvent(verifier, 'revocation')
  const first = await fixture.revokeSession(before)
  await seen

  fixture.dropStreams()
  await nextEvent(verifier, 'disconnect', ({ reason }) => reason === 'eof')
  const missed = fixture.session()
  const missedToken = await fixture.accessToken(missed)
  const caughtUp = nextEvent(verifier, 'revocation', (revocation) => revocation.kind === 'session' && revocation.sid === missed.sid)
  await fixture.revokeSession(missed)
  await caughtUp
  t.is(await outcome(verifier, missedToken), 'revoked/session')
  t.is(await outcome(verifier, await fixture.accessToken(before)), 'revoked/session', 'the set survived the reconnect')
  t.deepEqual(fixture.streamResumes.slice(0, 2), [null, first])
  t.like(verifier.stats(), { resets: 1, appliedSets: 2 })
})

test('event: reset drops the set and rebuilds it from what follows', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const lapsed = fixture.session()
  let seen = nextEvent(verifier, 'revocation')
  await fixture.revokeSession(lapsed)
  await seen

  // While the edge is away, the log moves past its cursor: it cannot resume.
  fixture.feedStatus = 503
  fixture.dropStreams()
  await nextEvent(verifier, 'disconnect', ({ reason }) => reason === 'HTTP 503')
  await fixture.revokeSession(fixture.session())
  const kept = fixture.session()
  await fixture.revokeSession(kept)
  fixture.pruneThrough(String(Number(fixture.latestCursor) - 1))

  const reset = nextEvent(verifier, 'reset')
  const fresh = nextEvent(verifier, 'fresh')
  seen = nextEvent(verifier, 'revocation')
  fixture.feedStatus = null
  await reset
  await seen
  await fresh
  t.is(await outcome(verifier, await fixture.accessToken(kept)), 'revoked/session')
  t.is(await outcome(verifier, await fixture.accessToken(lapsed)), 'accepted', 'entries gone from the log are gone from the set')
  t.like(verifier.stats(), { resets: 2, entries: 1, cursor: fixture.latestCursor })
})

test('a connection that delivers nothing is dropped after idleTimeout and reopened', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture, { idleTimeout: 100 })
  await verifier.ready()
  fixture.silentStreams = true
  fixture.dropStreams()
  await nextEvent(verifier, 'disconnect', ({ reason }) => reason === 'idle')
  fixture.silentStreams = false
  const session = fixture.session()
  const seen = nextEvent(verifier, 'revocation')
  await fixture.revokeSession(session)
  await seen
  t.pass('reconnected and caught up')
})

test('ignored SETs are counted, advance the cursor and revoke nothing', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const session = fixture.session()
  const token = await fixture.accessToken(session)
  const stranger = await generateSigningKey()
  const legit = (cursor: string) => fixture.entrySet(cursor, { kind: 'session', sub: session.sub, sid: session.sid })
  const forged = async (cursor: string) => {
    const [header, payload] = (await legit(cursor)).split('.')
    const [, , signature] = (await fixture.signSet({ jti: cursor }, {}, stranger)).split('.')
    return `${header}.${payload}.${signature}`
  }
  const sets: [IgnoredSetReason, (cursor: string) => Promise<string>][] = [
    ['signature', forged],
    ['signature', async (cursor) => (await legit(cursor)).replace(/\.[^.]*$/, '.')],
    ['issuer', (cursor) => fixture.signSet({ iss: 'https://elsewhere.example', jti: cursor, sub_id: {}, events: {} })],
    ['typ', async (cursor) => fixture.accessToken(session, { jti: cursor })],
    ['event_type', (cursor) => fixture.signSet({ jti: cursor, sub_id: {}, events: { 'urn:example:unknown': {} } })],
    ['cursor', () => legit('999999')],
  ]
  let last = ''
  for (const [reason, make] of sets) {
    const cursor = fixture.nextCursor()
    const ignored = nextEvent(verifier, 'ignored')
    last = fixture.append(await make(cursor), cursor)
    t.is((await ignored)[0].reason, reason)
  }
  const stats = verifier.stats()
  t.like(stats.ignoredSets, { signature: 2, issuer: 1, typ: 1, event_type: 1, cursor: 1, malformed: 0, payload: 0 })
  t.is(stats.cursor, last)
  t.is(stats.entries, 0)
  t.is(await outcome(verifier, token), 'accepted')
})

test('a SET that cannot be judged (keys unreachable) is not lost: it comes again after a reconnect', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture, { jwksCooldown: 0 })
  await verifier.ready()
  // Latch starts signing with a key the edge has not fetched yet, while the JWKS is unreachable.
  const rotated = await generateSigningKey()
  fixture.keys = [rotated, ...fixture.keys]
  fixture.jwksDown = true
  const session = fixture.session()
  const token = await fixture.accessToken(session, {}, {}, fixture.keys[1])
  const dropped = nextEvent(verifier, 'disconnect', ({ reason }) => /JSON Web Key Set/.test(reason))
  const cursor = await fixture.revokeSession(session)
  await dropped
  t.is(verifier.stats().ignoredSets.signature, 0, 'not ignored')
  t.not(verifier.stats().cursor, cursor, 'the cursor did not move past it')
  const seen = nextEvent(verifier, 'revocation')
  fixture.jwksDown = false
  await seen
  t.is(await outcome(verifier, token), 'revoked/session')
  t.true(fixture.streamResumes.slice(1).every((resume) => resume === null || Number(resume) < Number(cursor)))
})

test('a SET signed by a key published within the JWKS cooldown is judged after a reload, not ignored', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture, { jwksCooldown: 60_000 })
  await verifier.ready()
  // Latch rotates and signs at once (no publication delay), seconds after the edge fetched its JWKS.
  const session = fixture.session()
  const token = await fixture.accessToken(session)
  fixture.keys = [await generateSigningKey(), ...fixture.keys]
  const fetches = fixture.jwksFetches
  const seen = nextEvent(verifier, 'revocation')
  const cursor = await fixture.revokeSession(session)
  await seen
  t.is(verifier.stats().ignoredSets.signature, 0)
  t.is(verifier.stats().cursor, cursor)
  t.is(fixture.jwksFetches, fetches + 1, 'one reload, past the cooldown')
  t.is(await outcome(verifier, token), 'revoked/session')
})

test('a SET signed by a key the JWKS does not publish yet is retried, not ignored, until the key appears', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture, { jwksCooldown: 60_000 })
  await verifier.ready()
  const session = fixture.session()
  const token = await fixture.accessToken(session)
  // A replica signs with a new key before the replica serving the JWKS has loaded it.
  const published = fixture.keys
  const early = await generateSigningKey()
  fixture.keys = [early, ...published]
  const cursor = fixture.nextCursor()
  const set = await fixture.entrySet(cursor, { kind: 'session', sub: session.sub, sid: session.sid })
  fixture.keys = published
  const dropped = nextEvent(verifier, 'disconnect', ({ reason }) => /does not publish/.test(reason))
  fixture.append(set, cursor)
  await dropped
  t.is(verifier.stats().ignoredSets.signature, 0, 'not ignored')
  t.not(verifier.stats().cursor, cursor, 'the cursor did not move past it')
  const seen = nextEvent(verifier, 'revocation')
  fixture.keys = [early, ...published]
  await seen
  t.is(await outcome(verifier, token), 'revoked/session')
})

test('a SET whose key never appears is retried a few times, then ignored and counted as forged', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture, { jwksCooldown: 60_000, reconnect: { initialDelay: 10, maxDelay: 20 } })
  await verifier.ready()
  const session = fixture.session()
  const token = await fixture.accessToken(session)
  const published = fixture.keys
  fixture.keys = [await generateSigningKey(), ...published]
  const cursor = fixture.nextCursor()
  const set = await fixture.entrySet(cursor, { kind: 'session', sub: session.sub, sid: session.sid })
  fixture.keys = published
  const ignored = nextEvent(verifier, 'ignored')
  fixture.append(set, cursor)
  t.is((await ignored)[0].reason, 'signature')
  t.is(verifier.stats().reconnects, 5, 'five retries, one reconnect each')
  t.is(verifier.stats().cursor, cursor, 'then the cursor moves on')
  t.is(await outcome(verifier, token), 'accepted')
})

test('HTTP errors are retried with backoff until the stream opens', async (t) => {
  const fixture = await FeedFixture.for(t)
  fixture.feedStatus = 503
  const verifier = verifierFor(t, fixture)
  await nextEvent(verifier, 'disconnect')
  await nextEvent(verifier, 'disconnect')
  fixture.feedStatus = null
  await verifier.ready()
  t.true(verifier.stats().reconnects >= 2)
})

test('backoff doubles from the base up to the cap, jittered within the upper half', (t) => {
  for (let failures = 1; failures <= 8; failures++) {
    const ceiling = Math.min(1_000, 10 * 2 ** (failures - 1))
    for (let sample = 0; sample < 20; sample++) {
      const delay = backoff(10, 1_000, failures)
      t.true(delay >= ceiling / 2 && delay <= ceiling, `${failures} failures: ${delay}`)
    }
  }
})

test('poll: pages are applied in order, back to back while more are available, fresh once complete', async (t) => {
  const fixture = await FeedFixture.for(t)
  const sessions = Array.from({ length: 5 }, () => fixture.session())
  for (const session of sessions) await fixture.revokeSession(session)
  const verifier = verifierFor(t, fixture, { mode: 'poll', pollLimit: 2, pollInterval: 50 })
  await verifier.ready()
  for (const session of sessions) t.is(await outcome(verifier, await fixture.accessToken(session)), 'revoked/session')
  const polls = fixture.requests.filter((request) => request.path === '/events')
  t.true(polls.length >= 3)
  t.like(verifier.stats(), { mode: 'poll', resets: 1, entries: 5, cursor: fixture.latestCursor })

  const later = fixture.session()
  const seen = nextEvent(verifier, 'revocation')
  await fixture.revokeSession(later)
  await seen
  t.is(await outcome(verifier, await fixture.accessToken(later)), 'revoked/session')
})

test('poll: reset: true drops the set and rebuilds it from the page', async (t) => {
  const fixture = await FeedFixture.for(t)
  const lapsed = fixture.session()
  await fixture.revokeSession(lapsed)
  const verifier = verifierFor(t, fixture, { mode: 'poll', pollInterval: 50 })
  await verifier.ready()
  t.is(await outcome(verifier, await fixture.accessToken(lapsed)), 'revoked/session')
  const kept = fixture.session()
  await fixture.revokeSession(fixture.session())
  const reset = nextEvent(verifier, 'reset')
  const rebuilt = nextEvent(verifier, 'revocation', (revocation) => revocation.kind === 'session' && revocation.sid === kept.sid)
  fixture.pruneThrough(String(Number(fixture.latestCursor)))
  await fixture.revokeSession(kept)
  await reset
  await rebuilt
  t.is(await outcome(verifier, await fixture.accessToken(kept)), 'revoked/session')
  t.is(await outcome(verifier, await fixture.accessToken(lapsed)), 'accepted')
})
