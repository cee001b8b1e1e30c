import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { loadConfig } from '../../src/config.js'
import type { Clock } from '../../src/domain/clock.js'
import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import type { PasswordHasher } from '../../src/domain/users/password-hasher.js'
import { generateKeyVariables } from '../../src/keys/load-keys.js'
import { createLatch, type Latch } from '../../src/latch.js'
import { createLogger } from '../../src/logger.js'
import { freshDatabase, type Provider, type TestDatabase } from './databases.js'

export const TEST_ISSUER = 'https://latch.test'

// One key set per test process: generating keys is cheap, but there is no reason to repeat it.
const keyVariables = generateKeyVariables('EdDSA')

export interface TestLatchOptions {
  /** Extra environment variables, as an operator would set them. */
  env?: Record<string, string>
  clock?: Clock
  hasher?: PasswordHasher
  /** Use this database instead of a fresh one. */
  databaseUrl?: string
  /** Make the server's own http://127.0.0.1:<port> URL its issuer, as OAuth discovery requires. */
  selfIssuer?: boolean
}

export interface Response {
  status: number
  headers: Headers
  body: any
  text: string
}

/** A real Latch on a real port with a fresh real database, and a small HTTP client for it. */
export class TestLatch {
  private constructor(
    readonly url: string,
    readonly latch: Latch,
    readonly database: TestDatabase | null,
    readonly logs: string[],
    private readonly server: Server,
    /** http://127.0.0.1:<port> of the metrics listener (LATCH_METRICS_PORT set), on a port of its own; else null. */
    readonly metricsUrl: string | null,
    private readonly metricsServer: Server | null,
  ) {}

  static async start(provider: Provider, options: TestLatchOptions = {}): Promise<TestLatch> {
    const database = options.databaseUrl ? null : await freshDatabase(provider)
    const logs: string[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk))
        done()
      },
    })
    // Listen before building Latch, so that the server's own URL can be its issuer (selfIssuer).
    const server = createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    let latch: Latch
    try {
      const config = loadConfig({
        NODE_ENV: 'test',
        DATABASE_URL: options.databaseUrl ?? database!.url,
        LATCH_ISSUER: options.selfIssuer ? url : TEST_ISSUER,
        ...(await keyVariables),
        ...options.env,
      })
      latch = await createLatch(config, {
        migrate: true,
        background: true,
        logger: createLogger('debug', sink),
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.hasher ? { hasher: options.hasher } : {}),
      })
    } catch (error) {
      server.close()
      throw error
    }
    server.on('request', latch.app.callback())
    // As src/server.ts does, on a free port rather than the configured one.
    let metricsServer: Server | null = null
    if (latch.metrics) {
      metricsServer = createServer(latch.metrics.handler)
      metricsServer.listen(0, '127.0.0.1')
      await once(metricsServer, 'listening')
    }
    const metricsUrl = metricsServer ? `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}` : null
    return new TestLatch(url, latch, database, logs, server, metricsUrl, metricsServer)
  }

  async request(method: string, path: string, init: { json?: unknown; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers }
    let body = init.body
    if (init.json !== undefined) {
      headers['content-type'] ??= 'application/json'
      body = JSON.stringify(init.json)
    }
    const response = await fetch(this.url + path, { method, headers, ...(body === undefined ? {} : { body }) })
    const text = await response.text()
    let parsed: unknown = undefined
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      parsed = undefined
    }
    return { status: response.status, headers: response.headers, body: parsed, text }
  }

  post(path: string, json?: unknown, headers?: Record<string, string>): Promise<Response> {
    return this.request('POST', path, { json, ...(headers ? { headers } : {}) })
  }

  get(path: string, accessToken?: string): Promise<Response> {
    return this.request('GET', path, accessToken ? { headers: { authorization: `Bearer ${accessToken}` } } : {})
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    this.server.close()
    this.metricsServer?.closeAllConnections()
    this.metricsServer?.close()
    await this.latch.close()
    await this.database?.drop()
  }
}

let counter = 0
/** A unique email per call, so tests sharing one server never collide. */
export function uniqueEmail(label = 'user'): string {
  counter += 1
  return `${label}-${process.pid}-${counter}-${Date.now()}@example.com`
}

export const PASSWORD = 'correct horse battery staple'

export interface LoggedIn {
  email: string
  userId: string
  accessToken: string
  refreshToken: string
}

/** Registers a new account over HTTP and logs it in. */
export async function registerAndLogin(latch: TestLatch, email = uniqueEmail()): Promise<LoggedIn> {
  const registered = await latch.post('/register', { email, password: PASSWORD })
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${registered.text}`)
  return login(latch, email, registered.body.id)
}

export async function login(latch: TestLatch, email: string, userId: string): Promise<LoggedIn> {
  const response = await latch.post('/login', { email, password: PASSWORD })
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${response.text}`)
  return { email, userId, accessToken: response.body.access_token, refreshToken: response.body.refresh_token }
}

/** Creates an admin through the domain (as the CLI does) and logs it in over HTTP. */
export async function adminSession(latch: TestLatch): Promise<LoggedIn> {
  const email = uniqueEmail('admin')
  const admin = await latch.latch.core.createUser({ email, password: PASSWORD, role: 'admin' }, OPERATOR_CONTEXT)
  return login(latch, email, admin.id)
}
