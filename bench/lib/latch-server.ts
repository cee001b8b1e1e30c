import { join } from 'node:path'
import { Child, freePort, REPO_ROOT, runScript } from './child.js'

const CLI = join(REPO_ROOT, 'src', 'cli', 'main.ts')

/** Every account the benchmarks create has this password. */
export const PASSWORD = 'correct horse battery staple'
/** `iss` of the access tokens in every benchmark (Latch, the bare jose route, in-process signing). */
export const ISSUER = 'https://latch.bench.invalid'
export const AUDIENCE = 'latch'

/** LATCH_SIGNING_KEYS and LATCH_REFRESH_TOKEN_KEY, generated once per run and shared by every child. */
export type KeyVariables = Record<string, string>

export interface TokenResponse {
  access_token: string
  refresh_token: string
}

/**
 * Latch exactly as an operator runs it from source (`tsx src/cli/main.ts serve`: migrate, then
 * serve), in production mode with its default settings, logging at info to a file.
 */
export class LatchServer {
  private constructor(
    readonly url: string,
    readonly child: Child,
    /** The environment the server runs with, for CLI commands against the same database. */
    private readonly env: Record<string, string>,
  ) {}

  static async start(options: { name: string; databaseUrl: string; keys: KeyVariables; cpuProfileDir?: string }): Promise<LatchServer> {
    const port = await freePort()
    const env = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: options.databaseUrl,
      LOG_LEVEL: 'info',
      LATCH_ISSUER: ISSUER,
      LATCH_AUDIENCE: AUDIENCE,
      ...options.keys,
    }
    const child = Child.start({
      name: options.name,
      script: CLI,
      args: ['serve'],
      env,
      ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}),
    })
    const url = `http://127.0.0.1:${port}`
    try {
      await child.waitForHttp(`${url}/readyz`)
    } catch (error) {
      await child.stop()
      throw error
    }
    return new LatchServer(url, child, env)
  }

  /** Registers an edge with `latch create-edge`, as an operator would, against the server's database. */
  async createEdge(name: string): Promise<{ clientId: string; secret: string }> {
    const output = JSON.parse(await runScript(CLI, ['create-edge', '--name', name, '--json'], { ...this.env, LOG_LEVEL: 'warn' }))
    return { clientId: output.client_id, secret: output.client_secret }
  }

  async post(path: string, json: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(this.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : undefined }
  }

  /** Registers `count` accounts over HTTP and returns their emails. */
  async registerUsers(count: number, label = 'user'): Promise<string[]> {
    const emails = Array.from({ length: count }, (_, index) => `bench-${label}-${index}@example.com`)
    await Promise.all(
      emails.map(async (email) => {
        const response = await this.post('/register', { email, password: PASSWORD })
        if (response.status !== 201) throw new Error(`register ${email}: ${response.status} ${JSON.stringify(response.body)}`)
      }),
    )
    return emails
  }

  /** Logs in over HTTP: a new session, whose refresh token starts a fresh chain. */
  async login(email: string): Promise<TokenResponse> {
    const response = await this.post('/login', { email, password: PASSWORD })
    if (response.status !== 200) throw new Error(`login ${email}: ${response.status} ${JSON.stringify(response.body)}`)
    return response.body as TokenResponse
  }

  /** Throws when the server has exited or logged an error since the last check. */
  assertHealthy(): void {
    this.child.assertHealthy()
  }

  stop(): Promise<void> {
    return this.child.stop()
  }
}
