import test, { type ExecutionContext } from 'ava'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Koa from 'koa'
import { VerifierError, type AccessTokenClaims, type Verifier } from '../../src/verifier/index.js'
import { bearerToken } from '../../src/verifier/http.js'
import { TestClock } from '../helpers/clock.js'
import { FeedFixture } from '../helpers/feed-fixture.js'
import { nextEvent, verifierFor } from '../helpers/verifier.js'

/** The verifier in front of real HTTP servers: Koa middleware and the plain node:http helper. */

async function listen(t: ExecutionContext, server: Server): Promise<string> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function koaApp(verifier: Verifier, options?: { stateKey?: string }): Koa {
  const app = new Koa()
  app.silent = true
  app.use(verifier.koa(options))
  app.use((ctx) => {
    if (ctx.path === '/boom') throw new Error('downstream failure')
    const claims = ctx.state[options?.stateKey ?? 'accessToken'] as AccessTokenClaims
    ctx.body = { sub: claims.sub }
  })
  return app
}

const get = (url: string, authorization?: string) => fetch(url, authorization === undefined ? {} : { headers: { authorization } })

test('koa: a valid token reaches the route with its claims in ctx.state.accessToken', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const url = await listen(t, createServer(koaApp(verifier).callback()))
  const session = fixture.session()
  const response = await get(url, `Bearer ${await fixture.accessToken(session)}`)
  t.is(response.status, 200)
  t.deepEqual(await response.json(), { sub: session.sub })
})

test('koa: a missing, malformed, invalid or revoked token is a 401 invalid_token with WWW-Authenticate', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const url = await listen(t, createServer(koaApp(verifier).callback()))
  const revoked = fixture.session()
  const revokedToken = await fixture.accessToken(revoked)
  const seen = nextEvent(verifier, 'revocation')
  await fixture.revokeSession(revoked)
  await seen
  const cases: [string, string | undefined][] = [
    ['missing', undefined],
    ['not Bearer', 'Basic abc'],
    ['garbage', 'Bearer not-a-jwt'],
    ['other audience', `Bearer ${await fixture.accessToken(fixture.session(), { aud: 'https://other.example' })}`],
    ['revoked', `Bearer ${revokedToken}`],
  ]
  for (const [name, authorization] of cases) {
    const response = await get(url, authorization)
    t.is(response.status, 401, name)
    t.regex(response.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/, name)
    t.is(response.headers.get('cache-control'), 'no-store', name)
    const body = (await response.json()) as { error: string; error_description: string }
    t.is(body.error, 'invalid_token', name)
    t.is(typeof body.error_description, 'string', name)
    if (authorization) t.false(JSON.stringify(body).includes(authorization.slice(7)), `${name}: no token in the answer`)
  }
})

test('koa: a stale verifier answers 503 temporarily_unavailable and never calls the route', async (t) => {
  const clock = new TestClock()
  const fixture = await FeedFixture.for(t, { clock })
  const verifier = verifierFor(t, fixture, { clock })
  await verifier.ready()
  let reached = false
  const app = new Koa()
  app.use(verifier.koa())
  app.use((ctx) => {
    reached = true
    ctx.body = 'ok'
  })
  const url = await listen(t, createServer(app.callback()))
  clock.advance(11)
  const response = await get(url, `Bearer ${await fixture.accessToken(fixture.session())}`)
  t.is(response.status, 503)
  t.is(response.headers.get('retry-after'), '1')
  t.like(await response.json(), { error: 'temporarily_unavailable' })
  t.false(reached)
})

test('koa: errors thrown downstream are not taken for token failures', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const url = await listen(t, createServer(koaApp(verifier).callback()))
  const response = await get(`${url}/boom`, `Bearer ${await fixture.accessToken(fixture.session())}`)
  t.is(response.status, 500)
})

test('koa: stateKey names where the claims go', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const url = await listen(t, createServer(koaApp(verifier, { stateKey: 'user' }).callback()))
  const session = fixture.session()
  t.deepEqual(await (await get(url, `Bearer ${await fixture.accessToken(session)}`)).json(), { sub: session.sub })
})

test('node:http: verifyRequest and toResponse make a complete handler', async (t) => {
  const fixture = await FeedFixture.for(t)
  const verifier = verifierFor(t, fixture)
  await verifier.ready()
  const server = createServer(async (req, res) => {
    try {
      const claims = await verifier.verifyRequest(req)
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: claims.sub }))
    } catch (error) {
      if (!(error instanceof VerifierError)) throw error
      const { status, headers, body } = error.toResponse()
      res.writeHead(status, headers).end(JSON.stringify(body))
    }
  })
  const url = await listen(t, server)
  const session = fixture.session()
  const ok = await get(url, `Bearer ${await fixture.accessToken(session)}`)
  t.is(ok.status, 200)
  t.deepEqual(await ok.json(), { sub: session.sub })
  const refused = await get(url)
  t.is(refused.status, 401)
  t.regex(refused.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/)
  t.like(await refused.json(), { error: 'invalid_token' })
})

test('the Bearer scheme is read case-insensitively; anything else is missing or malformed', (t) => {
  t.is(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi')
  t.is(bearerToken('bearer   abc.def.ghi'), 'abc.def.ghi')
  const reason = (header: string | string[] | undefined) => {
    try {
      bearerToken(header)
      return 'accepted'
    } catch (error) {
      return (error as VerifierError).reason
    }
  }
  t.is(reason(undefined), 'missing')
  t.is(reason(''), 'missing')
  t.is(reason('Bearer'), 'malformed')
  t.is(reason('Bearer a b'), 'malformed')
  t.is(reason('Basic abc'), 'malformed')
  t.is(reason(['Bearer a', 'Bearer b']), 'malformed')
})
