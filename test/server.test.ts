import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import test, { type ExecutionContext } from 'ava'

/**
 * `latch serve` as an operator runs it: one line on stdout once requests are accepted, a clean
 * exit on SIGTERM, and development keys created on first start in a private, git-ignored file.
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const MAIN = join(ROOT, 'src', 'cli', 'main.ts')
// Absolute, so that a server started in another working directory still finds the loader.
const TSX = import.meta.resolve('tsx')
const BANNER = /^Latch listening on http:\/\/127\.0\.0\.1:(\d+)$/

type Server = ChildProcessByStdio<null, Readable, Readable> & { stdoutText: string; stderrText: string }

/** The environment of the server: this process's, minus Latch's settings and ava's IPC channel. */
function serverEnvironment(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(LATCH_|NODE_CHANNEL_|DATABASE_URL$|LOG_LEVEL$|PORT$|HOST$|NODE_ENV$)/.test(name)),
  )
  return { ...inherited, NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', ...env }
}

function startServer(t: ExecutionContext, cwd: string, env: Record<string, string>): Server {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'serve'], {
    cwd,
    env: serverEnvironment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as Server
  child.stdoutText = ''
  child.stderrText = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (child.stdoutText += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (child.stderrText += chunk))
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return child
}

/** Resolves with the first stdout line, as soon as it is complete. */
function firstLine(server: Server, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const end = server.stdoutText.indexOf('\n')
      if (end === -1) return
      done()
      resolve(server.stdoutText.slice(0, end))
    }
    const exited = (code: number | null) => {
      done()
      reject(new Error(`the server exited (${code}) before printing a line: ${server.stderrText}`))
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`no line on stdout within ${timeoutMs} ms: ${server.stderrText}`))
    }, timeoutMs)
    const done = () => {
      clearTimeout(timer)
      server.stdout.off('data', check)
      server.off('exit', exited)
    }
    // Registered after the listener that collects stdoutText, so each chunk is already in it.
    server.stdout.on('data', check)
    server.on('exit', exited)
    check()
  })
}

/** Sends SIGTERM and waits for the exit; resolves with the exit code and how long it took. */
async function terminate(server: Server, timeoutMs = 10_000): Promise<{ code: number | null; signal: string | null; ms: number }> {
  const started = performance.now()
  const exited = once(server, 'exit') as Promise<[number | null, string | null]>
  server.kill('SIGTERM')
  const timer = setTimeout(() => server.kill('SIGKILL'), timeoutMs)
  const [code, signal] = await exited
  clearTimeout(timer)
  return { code, signal, ms: performance.now() - started }
}

function tempDirectory(t: ExecutionContext): string {
  const directory = mkdtempSync(join(tmpdir(), 'latch-serve-'))
  t.teardown(() => rmSync(directory, { recursive: true, force: true }))
  return directory
}

test('serve prints exactly one line with its real port once it accepts requests, and exits 0 on SIGTERM', async (t) => {
  const directory = tempDirectory(t)
  const server = startServer(t, ROOT, {
    DATABASE_URL: `file:${join(directory, 'latch.db')}`,
    LATCH_KEYS_FILE: join(directory, 'keys.json'),
    LOG_LEVEL: 'silent',
  })

  const line = await firstLine(server)
  t.regex(line, BANNER)
  const port = Number(BANNER.exec(line)![1])
  t.true(port > 0, 'PORT=0 picks a free port, and the line names the real one')

  // Accepting requests already when the line appears; this connection stays open (keep-alive).
  const health = await fetch(`http://127.0.0.1:${port}/healthz`)
  t.is(health.status, 200)
  t.deepEqual(await health.json(), { status: 'ok' })

  const { code, signal, ms } = await terminate(server)
  t.is(signal, null, 'it exited by itself, not by a signal')
  t.is(code, 0)
  t.true(ms < 5000, `exited ${Math.round(ms)} ms after SIGTERM`)
  t.is(server.stdoutText, `${line}\n`, 'nothing else on stdout')
  t.is(server.stderrText, '')
  await t.throwsAsync(fetch(`http://127.0.0.1:${port}/healthz`), undefined, 'the port is closed')
})

test('a first start without a keys file creates one, private to its owner, git-ignored, and later starts keep using it', async (t) => {
  // An empty directory and the defaults: ./data/latch.db and ./data/keys.json.
  const directory = tempDirectory(t)
  const keysFile = join(directory, 'data', 'keys.json')
  t.false(existsSync(keysFile))
  const first = startServer(t, directory, { LOG_LEVEL: 'silent' })
  const firstUrl = BANNER.exec(await firstLine(first))![0].replace('Latch listening on ', '')

  t.true(existsSync(keysFile), 'the keys file was created')
  t.is(statSync(keysFile).mode & 0o777, 0o600, 'readable and writable by its owner only')
  const created = readFileSync(keysFile, 'utf8')
  // The default location is one git will not pick up.
  const ignored = spawnSync('git', ['check-ignore', '--quiet', '--no-index', 'data/keys.json'], { cwd: ROOT })
  t.is(ignored.status, 0, 'data/keys.json is git-ignored in the repository')

  const email = `keys-${process.pid}@example.com`
  const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  t.is((await fetch(`${firstUrl}/register`, json({ email, password: 'correct horse battery staple' }))).status, 201)
  const login = await fetch(`${firstUrl}/login`, json({ email, password: 'correct horse battery staple' }))
  t.is(login.status, 200)
  const { access_token: accessToken } = (await login.json()) as { access_token: string }
  t.is((await terminate(first)).code, 0)

  // A second start finds the file and keeps it: tokens issued before the restart stay valid.
  const second = startServer(t, directory, { LOG_LEVEL: 'silent' })
  const secondUrl = BANNER.exec(await firstLine(second))![0].replace('Latch listening on ', '')
  t.is(readFileSync(keysFile, 'utf8'), created, 'the keys file is not regenerated')
  const me = await fetch(`${secondUrl}/me`, { headers: { authorization: `Bearer ${accessToken}` } })
  t.is(me.status, 200, await me.text())
  t.is((await terminate(second)).code, 0)
})

test('with LATCH_METRICS_PORT, serve answers GET /metrics on that port and host only, still with one line on stdout', async (t) => {
  const directory = tempDirectory(t)
  // A port that was free a moment ago (the API takes PORT=0, so they cannot meet).
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const metricsPort = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))
  const server = startServer(t, ROOT, {
    DATABASE_URL: `file:${join(directory, 'latch.db')}`,
    LATCH_KEYS_FILE: join(directory, 'keys.json'),
    LOG_LEVEL: 'silent',
    LATCH_METRICS_PORT: String(metricsPort),
  })
  const port = Number(BANNER.exec(await firstLine(server))![1])

  t.is((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200)
  const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
  t.is(metrics.status, 200)
  t.regex(await metrics.text(), /^latch_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1$/m)
  t.is((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404, 'not on the API port')

  t.is((await terminate(server)).code, 0)
  t.is(server.stdoutText.split('\n').length, 2, 'one line on stdout')
  await t.throwsAsync(fetch(`http://127.0.0.1:${metricsPort}/metrics`), undefined, 'the metrics port is closed')
})
