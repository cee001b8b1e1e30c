import test, { type ExecutionContext } from 'ava'
import { decodeJwt, SignJWT, generateKeyPair } from 'jose'
import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import type { Verifier, VerifierOptions } from '../../src/verifier/index.js'
import { PROVIDERS } from '../helpers/databases.js'
import { eachDatabase } from '../helpers/each-database.js'
import { createEdge } from '../helpers/feed.js'
import { adminSession, registerAndLogin, TestLatch, type LoggedIn } from '../helpers/latch.js'
import { TcpProxy } from '../helpers/tcp-proxy.js'
import { nextEvent, outcome, verifierFor } from '../helpers/verifier.js'

/**
 * End to end: a real Latch, a real edge verifier (latch/verifier) following its revocation feed
 * over real HTTP. Every way of taking access back makes a token that verified a moment ago fail
 * at the edge, with no call to Latch per request; a feed connection that is cut loses nothing; an
 * edge cut off from the feed fails closed after its bound and recovers.
 */

/** How long a revocation may take to reach the edge in these tests; the benchmark measures the real figure. */
const BOUND_MS = 2000

/** An edge for `server`'s tokens (servers here are their own issuer), ready: caught up with the feed. */
async function edgeFor(t: ExecutionContext, server: TestLatch, options: Partial<VerifierOptions> = {}): Promise<Verifier> {
  const edge = await createEdge(server)
  const verifier = verifierFor(t, { issuer: server.url, audience: 'latch', clientId: edge.clientId, clientSecret: edge.secret }, options)
  await verifier.ready()
  return verifier
}

/** Milliseconds from the start of `revoke` until the edge refuses `token` as revoked. */
async function propagation(t: ExecutionContext, verifier: Verifier, token: string, revoke: () => Promise<unknown>): Promise<number> {
  t.is(await outcome(verifier, token), 'accepted', 'the token verifies at the edge before')
  const started = performance.now()
  await revoke()
  for (;;) {
    const result = await outcome(verifier, token)
    const elapsed = performance.now() - started
    if (result.startsWith('revoked/')) return elapsed
    if (elapsed > BOUND_MS) throw new Error(`still ${result} at the edge ${elapsed.toFixed(0)} ms after the revocation`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

eachDatabase(
  (provider, server) => {
    test(`${provider}: logout-all, lockout, an admin's session revoke and refresh-token reuse each kill a live token at the edge`, async (t) => {
      const verifier = await edgeFor(t, server())
      const admin = await adminSession(server())
      const bystander = await registerAndLogin(server())
      const bearer = (user: LoggedIn) => ({ authorization: `Bearer ${user.accessToken}` })
      const cases: [string, (user: LoggedIn) => Promise<unknown>][] = [
        ['logout-all', (user) => server().post('/logout-all', undefined, bearer(user))],
        ['lockout', (user) => server().post(`/admin/users/${user.userId}/lock`, { reason: 'compromised' }, bearer(admin))],
        ['admin session revoke', (user) => server().post(`/admin/users/${user.userId}/sessions/${decodeJwt(user.accessToken).sid}/revoke`, undefined, bearer(admin))],
        [
          'refresh-token reuse',
          async (user) => {
            // Rotate once, then present the used token again after the grace window (0 here).
            await server().post('/refresh', { refresh_token: user.refreshToken })
            return server().post('/refresh', { refresh_token: user.refreshToken })
          },
        ],
      ]
      const figures: string[] = []
      for (const [name, revoke] of cases) {
        const user = await registerAndLogin(server())
        figures.push(`${name} ${(await propagation(t, verifier, user.accessToken, () => revoke(user))).toFixed(1)} ms`)
      }
      t.log(`${provider}: revoking request to rejection at the edge: ${figures.join(', ')}`)
      t.is(await outcome(verifier, bystander.accessToken), 'accepted', "nobody else's token is touched")
      t.is(verifier.stats().rejected.revoked >= cases.length, true)
    })

    test(`${provider}: an RFC 7009 revocation of one access token kills that token at the edge, not its siblings`, async (t) => {
      const verifier = await edgeFor(t, server())
      const user = await registerAndLogin(server())
      const sibling = (await server().post('/refresh', { refresh_token: user.refreshToken })).body.access_token as string
      const form = new URLSearchParams({ token: user.accessToken, client_id: 'latch-web' }).toString()
      await propagation(t, verifier, user.accessToken, () => server().request('POST', '/oauth/revoke', { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } }))
      t.is(await outcome(verifier, sibling), 'accepted')
    })

    test(`${provider}: an unlocked user's new tokens verify at the edge again, the old ones stay dead`, async (t) => {
      const verifier = await edgeFor(t, server())
      const user = await registerAndLogin(server())
      await propagation(t, verifier, user.accessToken, () => server().latch.core.lockUser({ userId: user.userId, reason: 'check' }, OPERATOR_CONTEXT))
      await server().latch.core.unlockUser({ userId: user.userId }, OPERATOR_CONTEXT)
      const again = await server().post('/login', { email: user.email, password: 'correct horse battery staple' })
      const deadline = Date.now() + BOUND_MS
      while ((await outcome(verifier, again.body.access_token)) !== 'accepted' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
      t.is(await outcome(verifier, again.body.access_token), 'accepted')
      t.regex(await outcome(verifier, user.accessToken), /^revoked\//)
    })
  },
  { selfIssuer: true, env: { LATCH_REFRESH_REUSE_GRACE: '0' } },
)

/** A verifier whose feed requests (only) go through `proxy`; discovery, JWKS and introspection go straight to Latch. */
function feedThrough(proxy: TcpProxy, server: TestLatch): typeof fetch {
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    return fetch(url.startsWith(`${server.url}/events`) ? proxy.url + url.slice(server.url.length) : url, init)
  }
}

for (const provider of PROVIDERS) {
  test(`${provider}: a feed connection cut and restored loses no revocation, and resumes without a reset`, async (t) => {
    const server = await TestLatch.start(provider, { selfIssuer: true })
    t.teardown(() => server.close())
    const proxy = await TcpProxy.start(server.url)
    t.teardown(() => proxy.stop())
    const verifier = await edgeFor(t, server, { fetch: feedThrough(proxy, server) })
    const users = await Promise.all([1, 2, 3].map(() => registerAndLogin(server)))
    for (const user of users) t.is(await outcome(verifier, user.accessToken), 'accepted')

    await proxy.stop()
    await nextEvent(verifier, 'disconnect')
    for (const user of users) await server.post('/logout', { refresh_token: user.refreshToken })
    await proxy.listen()

    // The verifier reconnects on its own (backoff capped at 100 ms in tests).
    const outcomes = () => Promise.all(users.map((user) => outcome(verifier, user.accessToken)))
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 20))) {
      if ((await outcomes()).every((result) => result === 'revoked/session')) break
    }
    t.deepEqual(await Promise.all(users.map((user) => outcome(verifier, user.accessToken))), users.map(() => 'revoked/session'), 'every revocation made while disconnected arrived')
    t.is(verifier.stats().resets, 1, 'only the first connection was reset: the reconnect resumed from Last-Event-ID')
    t.true(verifier.stats().reconnects >= 1)
  })

  test(`${provider}: an edge cut off from the feed fails closed after its bound, then recovers`, async (t) => {
    const server = await TestLatch.start(provider, { selfIssuer: true, env: { LATCH_FEED_HEARTBEAT: '1' } })
    t.teardown(() => server.close())
    const proxy = await TcpProxy.start(server.url)
    t.teardown(() => proxy.stop())
    const verifier = await edgeFor(t, server, { fetch: feedThrough(proxy, server), staleAfter: 2500 })
    const user = await registerAndLogin(server)
    t.is(await outcome(verifier, user.accessToken), 'accepted')

    proxy.pause()
    await nextEvent(verifier, 'stale')
    // The bound runs from the last moment the edge knew its set complete (its last heartbeat).
    const { currentAt } = verifier.stats()
    const silentFor = Date.now() - currentAt!
    t.true(silentFor >= 2500, `stale only once the bound has passed since the last heartbeat (${silentFor} ms)`)
    t.log(`stale ${silentFor} ms after the last heartbeat (bound 2500 ms)`)
    t.is(await outcome(verifier, user.accessToken), 'stale/silent', 'fail-closed: a valid token is refused while the edge cannot know')

    proxy.resume()
    await nextEvent(verifier, 'fresh')
    t.is(await outcome(verifier, user.accessToken), 'accepted', 'and accepted again once the feed is back')
  })

  test(`${provider}: with the introspect policy, a cut-off edge asks Latch per token instead`, async (t) => {
    const server = await TestLatch.start(provider, { selfIssuer: true, env: { LATCH_FEED_HEARTBEAT: '1' } })
    t.teardown(() => server.close())
    const proxy = await TcpProxy.start(server.url)
    t.teardown(() => proxy.stop())
    const verifier = await edgeFor(t, server, { fetch: feedThrough(proxy, server), staleAfter: 2000, onStale: 'introspect', introspectionCacheTtl: 1 })
    const [alive, doomed] = await Promise.all([registerAndLogin(server), registerAndLogin(server)])
    proxy.pause()
    await nextEvent(verifier, 'stale')
    await server.post('/logout', { refresh_token: doomed.refreshToken })
    t.is(await outcome(verifier, alive.accessToken), 'accepted', 'introspection vouches for a live token')
    t.is(await outcome(verifier, doomed.accessToken), 'revoked/inactive', 'and refuses one the feed could not deliver')
    t.true(verifier.stats().introspection.requests >= 2)
  })

  test(`${provider}: forged, unsigned and wrong-issuer SETs slipped into the stream are ignored and counted`, async (t) => {
    const server = await TestLatch.start(provider, { selfIssuer: true })
    t.teardown(() => server.close())
    const victim = await registerAndLogin(server)
    const { sub, sid } = decodeJwt(victim.accessToken) as { sub: string; sid: string }
    const attacker = await generateKeyPair('EdDSA')
    const claims = (iss: string) => ({
      iss,
      jti: '999999',
      iat: Math.floor(Date.now() / 1000),
      sub_id: { format: 'complex', user: { format: 'iss_sub', iss, sub }, session: { format: 'opaque', id: sid } },
      events: { 'https://schemas.openid.net/secevent/caep/event-type/session-revoked': { event_timestamp: Math.floor(Date.now() / 1000), latch_expires_at: Math.floor(Date.now() / 1000) + 600 } },
    })
    const forged = await new SignJWT(claims(server.url)).setProtectedHeader({ alg: 'EdDSA', kid: server.latch.keyRing.active.kid, typ: 'secevent+jwt' }).sign(attacker.privateKey)
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const unsigned = `${encode({ alg: 'none', typ: 'secevent+jwt' })}.${encode(claims(server.url))}.`
    const wrongIssuer = await new SignJWT(claims('https://evil.example')).setProtectedHeader({ alg: 'EdDSA', kid: 'evil', typ: 'secevent+jwt' }).sign(attacker.privateKey)
    const injected = [forged, unsigned, wrongIssuer].map((set, index) => `id: ${999_990 + index}\nevent: set\ndata: ${set}\n\n`).join('')

    // The stream Latch sends, with the forgeries inserted right after its first heartbeat.
    const tampering: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      if (!url.includes('/events/stream') || !response.body) return response
      let done = false
      const body = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            controller.enqueue(chunk)
            if (!done && new TextDecoder().decode(chunk).includes('event: heartbeat')) {
              done = true
              controller.enqueue(new TextEncoder().encode(injected))
            }
          },
        }),
      )
      return new Response(body, { status: response.status, headers: response.headers })
    }
    const verifier = await edgeFor(t, server, { fetch: tampering })
    const deadline = Date.now() + 5000
    while (Object.values(verifier.stats().ignoredSets).reduce((sum, count) => sum + count, 0) < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    const ignored = Object.values(verifier.stats().ignoredSets).reduce((sum, count) => sum + count, 0)
    t.is(ignored, 3, JSON.stringify(verifier.stats().ignoredSets))
    t.is(await outcome(verifier, victim.accessToken), 'accepted', 'none of them revoked anything')
  })
}

if (PROVIDERS.includes('postgresql')) {
  test('postgresql: an edge following one replica sees revocations made through another', async (t) => {
    const a = await TestLatch.start('postgresql', { selfIssuer: true })
    const b = await TestLatch.start('postgresql', { databaseUrl: a.database!.url, env: { LATCH_ISSUER: a.url, LATCH_FEED_POLL_INTERVAL: '3600', LATCH_FEED_HEARTBEAT: '60' } })
    t.teardown(async () => {
      await b.close()
      await a.close()
    })
    // The edge talks to replica B only (its feed, JWKS and metadata); tokens and revocations go through A.
    const toB: typeof fetch = (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      return fetch(url.startsWith(a.url) ? b.url + url.slice(a.url.length) : url, init)
    }
    const verifier = await edgeFor(t, a, { fetch: toB })
    const user = await registerAndLogin(a)
    const elapsed = await propagation(t, verifier, user.accessToken, () => a.post('/logout-all', undefined, { authorization: `Bearer ${user.accessToken}` }))
    t.log(`revocation through replica A rejected at an edge on replica B after ${elapsed.toFixed(1)} ms`)
  })
}
