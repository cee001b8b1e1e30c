import { once } from 'node:events'
import net from 'node:net'
import test, { type ExecutionContext } from 'ava'
import { freshDatabase, POSTGRES_URL, PROVIDERS } from '../helpers/databases.js'
import { eachDatabase } from '../helpers/each-database.js'
import { PASSWORD, registerAndLogin, TestLatch } from '../helpers/latch.js'

/**
 * Liveness (/healthz) says the process serves; readiness (/readyz) says it reaches its database.
 * When PostgreSQL becomes unreachable, requests that need it fail fast with 503
 * temporarily_unavailable, and the same process recovers by itself when it comes back.
 */

eachDatabase((provider, server) => {
  test(`${provider}: GET /healthz is 200 {status: "ok"}`, async (t) => {
    const response = await server().get('/healthz')
    t.is(response.status, 200)
    t.deepEqual(response.body, { status: 'ok' })
    t.is(response.headers.get('x-content-type-options'), 'nosniff', 'every answer, not only errors')
  })

  test(`${provider}: GET /readyz is 200 while the database answers`, async (t) => {
    const response = await server().get('/readyz')
    t.is(response.status, 200, response.text)
    t.deepEqual(response.body, { status: 'ready' })
  })
})

/**
 * A TCP proxy in front of PostgreSQL that the test can cut: `stop()` closes the port and destroys
 * every connection through it (the database went away), `partition()` keeps accepting connections
 * but never forwards a byte (packets dropped on the floor), `resume()` restores service on the same
 * port.
 */
class DatabaseProxy {
  readonly #sockets = new Set<net.Socket>()
  #mode: 'forward' | 'blackhole' = 'forward'

  private constructor(
    readonly server: net.Server,
    readonly port: number,
    readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<DatabaseProxy> {
    let proxy: DatabaseProxy | undefined
    const server = net.createServer((client) => proxy!.accept(client))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    proxy = new DatabaseProxy(server, (server.address() as net.AddressInfo).port, target)
    return proxy
  }

  private track(socket: net.Socket): void {
    this.#sockets.add(socket)
    socket.on('close', () => this.#sockets.delete(socket))
    socket.on('error', () => socket.destroy())
  }

  private accept(client: net.Socket): void {
    this.track(client)
    if (this.#mode === 'blackhole') return
    const upstream = net.connect(this.target.port, this.target.host)
    this.track(upstream)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    client.pipe(upstream).pipe(client)
  }

  #cutEverything(): void {
    for (const socket of this.#sockets) socket.destroy()
  }

  async stop(): Promise<void> {
    const closed = once(this.server, 'close')
    this.server.close()
    this.#cutEverything()
    await closed
  }

  partition(): void {
    this.#mode = 'blackhole'
    this.#cutEverything()
  }

  async resume(): Promise<void> {
    this.#mode = 'forward'
    if (!this.server.listening) {
      this.server.listen(this.port, '127.0.0.1')
      await once(this.server, 'listening')
    }
  }

  async close(): Promise<void> {
    this.#cutEverything()
    if (this.server.listening) await new Promise((resolve) => this.server.close(resolve))
  }
}

/** A Latch whose PostgreSQL connections all pass through a proxy the test controls. */
async function latchBehindProxy(t: ExecutionContext) {
  const upstream = new URL(POSTGRES_URL)
  const proxy = await DatabaseProxy.start({ host: upstream.hostname, port: Number(upstream.port || 5432) })
  const database = await freshDatabase('postgresql')
  const url = new URL(database.url)
  url.hostname = '127.0.0.1'
  url.port = String(proxy.port)
  const server = await TestLatch.start('postgresql', { databaseUrl: url.toString() })
  t.teardown(async () => {
    // The proxy first: connections still hanging in it must fail before the pool can end.
    await proxy.close()
    await server.close()
    await database.drop()
  })
  return { proxy, server }
}

/** One request with a deadline, so that a hang fails the test instead of stalling the suite. */
async function timed(server: TestLatch, method: string, path: string, json?: unknown) {
  const started = performance.now()
  const response = await fetch(server.url + path, {
    method,
    ...(json === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }),
    signal: AbortSignal.timeout(15_000),
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : undefined, ms: performance.now() - started }
}

type Timed = Awaited<ReturnType<typeof timed>>

function assertUnavailable(t: ExecutionContext, response: Timed, label: string, withinMs: number): void {
  t.is(response.status, 503, `${label}: ${response.text}`)
  t.deepEqual(response.body, {
    error: 'temporarily_unavailable',
    error_description: 'The service is temporarily unavailable. Retry shortly.',
  })
  t.is(response.headers.get('cache-control'), 'no-store')
  t.true(response.ms < withinMs, `${label} answered in ${Math.round(response.ms)} ms, not within ${withinMs} ms`)
}

if (PROVIDERS.includes('postgresql')) {
  test('postgresql: with the database gone, /readyz, /login and /refresh answer 503 at once; it recovers by itself', async (t) => {
    const { proxy, server } = await latchBehindProxy(t)
    const user = await registerAndLogin(server)
    t.is((await timed(server, 'GET', '/readyz')).status, 200)

    await proxy.stop()
    assertUnavailable(t, await timed(server, 'GET', '/readyz'), '/readyz', 3000)
    assertUnavailable(t, await timed(server, 'POST', '/login', { email: user.email, password: PASSWORD }), '/login', 3000)
    assertUnavailable(t, await timed(server, 'POST', '/refresh', { refresh_token: user.refreshToken }), '/refresh', 3000)
    const alive = await timed(server, 'GET', '/healthz')
    t.is(alive.status, 200, 'the process itself is alive: liveness does not depend on the database')

    await proxy.resume()
    const ready = await timed(server, 'GET', '/readyz')
    t.is(ready.status, 200, ready.text)
    const login = await timed(server, 'POST', '/login', { email: user.email, password: PASSWORD })
    t.is(login.status, 200, login.text)
    const refresh = await timed(server, 'POST', '/refresh', { refresh_token: user.refreshToken })
    t.is(refresh.status, 200, `the refresh token was not consumed by the failed attempt: ${refresh.text}`)
    t.truthy(refresh.body.refresh_token)
  })

  test('postgresql: when the database stops answering (connections hang), requests still fail with 503 within seconds', async (t) => {
    const { proxy, server } = await latchBehindProxy(t)
    const user = await registerAndLogin(server)

    proxy.partition()
    // Concurrently: each one waits out the connection timeout (5 s by default), not forever.
    const [ready, login, refresh] = await Promise.all([
      timed(server, 'GET', '/readyz'),
      timed(server, 'POST', '/login', { email: user.email, password: PASSWORD }),
      timed(server, 'POST', '/refresh', { refresh_token: user.refreshToken }),
    ])
    assertUnavailable(t, ready, '/readyz', 8000)
    assertUnavailable(t, login, '/login', 8000)
    assertUnavailable(t, refresh, '/refresh', 8000)

    await proxy.resume()
    const again = await timed(server, 'GET', '/readyz')
    t.is(again.status, 200, again.text)
    const recovered = await timed(server, 'POST', '/refresh', { refresh_token: user.refreshToken })
    t.is(recovered.status, 200, recovered.text)
  })
}

if (PROVIDERS.includes('postgresql')) {
  test('postgresql: when every pooled connection is busy, a transaction waits connect_timeout for one and then answers 503, not 500', async (t) => {
    const database = await freshDatabase('postgresql')
    const url = new URL(database.url)
    url.searchParams.set('connection_limit', '1')
    url.searchParams.set('connect_timeout', '3')
    const server = await TestLatch.start('postgresql', { databaseUrl: url.toString() })
    t.teardown(async () => {
      await server.close()
      await database.drop()
    })
    // The pool's one connection is held for 6 s; registering needs a transaction, which waits for it.
    // (Prisma queries start when awaited: then() sends it now.)
    const busy = server.latch.database.prisma.$executeRawUnsafe('SELECT pg_sleep(6)').then(() => undefined)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const register = await timed(server, 'POST', '/register', { email: `pool-${Date.now()}@example.com`, password: PASSWORD })
    assertUnavailable(t, register, '/register', 5500)
    t.true(register.ms >= 2500, `it waited the connect timeout (3 s) for a connection, not Prisma's 2 s default: ${Math.round(register.ms)} ms`)
    await busy
    const later = await timed(server, 'POST', '/register', { email: `pool-later-${Date.now()}@example.com`, password: PASSWORD })
    t.is(later.status, 201, later.text)
  })
}
