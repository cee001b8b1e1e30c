import { randomUUID } from 'node:crypto'
import test, { type ExecutionContext } from 'ava'
import { eachDatabase } from '../helpers/each-database.js'
import { PASSWORD, registerAndLogin, uniqueEmail, type Response, type TestLatch } from '../helpers/latch.js'
import { registerClient } from '../helpers/oauth.js'

/**
 * CORS on the endpoints a first-party frontend calls from the browser: an Origin registered with an
 * active client gets the CORS headers (never with credentials: tokens travel in bodies and
 * headers, not cookies), any other Origin gets none, and the admin API, the revocation feed and
 * introspection (server-to-server) never answer CORS at all.
 */

const BROWSER_ENDPOINTS: [string, 'GET' | 'POST'][] = [
  ['/register', 'POST'],
  ['/login', 'POST'],
  ['/refresh', 'POST'],
  ['/logout', 'POST'],
  ['/logout-all', 'POST'],
  ['/me', 'GET'],
  ['/oauth/token', 'POST'],
  ['/oauth/revoke', 'POST'],
]
const SERVER_TO_SERVER: [string, 'GET' | 'POST'][] = [
  ['/admin/users', 'GET'],
  ['/admin/keys/rotate', 'POST'],
  ['/oauth/introspect', 'POST'],
  ['/events', 'GET'],
  ['/events/stream', 'GET'],
]

function preflight(server: TestLatch, path: string, origin: string, method: string, headers = 'content-type, authorization'): Promise<Response> {
  return server.request('OPTIONS', path, { headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } })
}

function assertNoCors(t: ExecutionContext, response: Response, label: string): void {
  const sent: string[] = []
  response.headers.forEach((_value, name) => sent.push(name))
  t.deepEqual(sent.filter((name) => name.startsWith('access-control-')), [], `${label}: no CORS header`)
}

eachDatabase(
  (provider, server) => {
    test(`${provider}: a preflight from an origin of an active client is allowed, without credentials, and cached`, async (t) => {
      const origin = `https://shop-${randomUUID().slice(0, 8)}.example.com`
      await registerClient(server(), { type: 'public', allowedOrigins: [origin] })
      for (const [path, method] of BROWSER_ENDPOINTS) {
        const response = await preflight(server(), path, origin, method)
        t.is(response.status, 204, `${path}: ${response.text}`)
        t.is(response.headers.get('access-control-allow-origin'), origin, path)
        t.is(response.headers.get('access-control-allow-methods'), method, path)
        t.is(response.headers.get('access-control-allow-headers'), 'Authorization,Content-Type', path)
        t.is(response.headers.get('access-control-max-age'), '600', path)
        t.is(response.headers.get('access-control-allow-credentials'), null, `${path}: never credentials`)
        t.regex(response.headers.get('vary') ?? '', /\bOrigin\b/, `${path}: caches keep answers per Origin`)
      }
    })

    test(`${provider}: the answers themselves, errors included, carry the headers for an allowed origin`, async (t) => {
      const origin = `https://app-${randomUUID().slice(0, 8)}.example.com`
      await registerClient(server(), { type: 'public', allowedOrigins: [origin] })
      const user = await registerAndLogin(server())
      const login = await server().request('POST', '/login', { json: { email: user.email, password: PASSWORD }, headers: { origin } })
      t.is(login.status, 200)
      t.is(login.headers.get('access-control-allow-origin'), origin)
      t.is(login.headers.get('access-control-allow-credentials'), null)
      const refused = await server().request('POST', '/login', { json: { email: user.email, password: 'wrong password!' }, headers: { origin } })
      t.is(refused.status, 401)
      t.is(refused.headers.get('access-control-allow-origin'), origin, 'the app can read why it was refused')
      const me = await server().request('GET', '/me', { headers: { origin, authorization: `Bearer ${user.accessToken}` } })
      t.is(me.status, 200)
      t.is(me.headers.get('access-control-allow-origin'), origin)
    })

    test(`${provider}: an origin no active client registered gets no CORS headers, whatever it looks like`, async (t) => {
      const allowed = `https://web-${randomUUID().slice(0, 8)}.example.com`
      await registerClient(server(), { type: 'public', allowedOrigins: [allowed] })
      const strangers = ['https://evil.example.com', `${allowed}.evil.example.com`, allowed.replace('https:', 'http:'), `${allowed}:443`, `${allowed}/`, allowed.toUpperCase(), 'null', '*']
      for (const origin of strangers) {
        const response = await preflight(server(), '/login', origin, 'POST')
        t.not(response.status, 204, origin)
        assertNoCors(t, response, origin)
        const login = await server().request('POST', '/login', { json: { email: uniqueEmail(), password: PASSWORD }, headers: { origin } })
        assertNoCors(t, login, `${origin} (actual request)`)
      }
    })

    test(`${provider}: the admin API, the revocation feed and introspection never answer CORS, even to an allowed origin`, async (t) => {
      const origin = `https://console-${randomUUID().slice(0, 8)}.example.com`
      await registerClient(server(), { type: 'public', allowedOrigins: [origin] })
      for (const [path, method] of SERVER_TO_SERVER) {
        const response = await preflight(server(), path, origin, method)
        t.not(response.status, 204, path)
        assertNoCors(t, response, path)
        assertNoCors(t, await server().request(method, path, { headers: { origin } }), `${path} (actual request)`)
      }
    })

    test(`${provider}: origins registered by another process are picked up within the refresh interval, and a disabled client's are dropped`, async (t) => {
      const origin = `https://late-${randomUUID().slice(0, 8)}.example.com`
      const prisma = server().latch.database.prisma
      const id = randomUUID()
      // As `latch create-client` in another process would: straight into the database.
      await prisma.client.create({
        data: { id, name: 'elsewhere', type: 'public', secretHash: null, allowedOrigins: JSON.stringify([origin]), scopes: 'api', audience: 'latch', createdAt: new Date() },
      })
      const allowedSoon = async (expected: boolean) => {
        const deadline = Date.now() + 5000
        for (;;) {
          const response = await preflight(server(), '/refresh', origin, 'POST')
          if ((response.headers.get('access-control-allow-origin') === origin) === expected || Date.now() > deadline) return response
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      }
      t.is((await allowedSoon(true)).headers.get('access-control-allow-origin'), origin)
      await prisma.client.update({ where: { id }, data: { disabledAt: new Date() } })
      assertNoCors(t, await allowedSoon(false), 'disabled client')
    })
  },
  { env: { LATCH_CORS_REFRESH_INTERVAL: '1' } },
)
