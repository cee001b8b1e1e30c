import { execFile, execFileSync, fork, type ChildProcess } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Every server (and every floor) under test runs in a child process of its own, so the load
 * generator in the runner never shares its event loop. Children run TypeScript from source with
 * tsx, as `npm run dev` does; their stdout goes to a log file, their stderr is kept for messages.
 */

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TSX_LOADER = import.meta.resolve('tsx')
/** Makes a child exit when the runner goes away, so a killed run leaves no servers behind. */
const EXIT_WITH_PARENT = import.meta.resolve('../children/exit-with-parent.ts')

/** Variables that configure Latch or Node: children get exactly what a benchmark sets, never the shell's. */
const INHERITED_BUT_IGNORED = /^(LATCH_.*|DATABASE_URL|LOG_LEVEL|PORT|HOST|NODE_ENV|NODE_OPTIONS)$/

let runDirectory: string | undefined
/** A temporary directory for this run's logs and working directories. */
export function runDir(): string {
  runDirectory ??= mkdtempSync(join(tmpdir(), 'latch-bench-'))
  return runDirectory
}

const live = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

export interface ChildOptions {
  /** Short label, used in messages and file names. */
  name: string
  /** Absolute path of the TypeScript entry point. */
  script: string
  args?: string[]
  env?: Record<string, string>
  /** Write a V8 CPU profile of this child into this directory when it exits. */
  cpuProfileDir?: string
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; method: string }

export class Child {
  readonly logPath: string
  #process: ChildProcess
  #stderr = ''
  #exit: string | null = null
  #ready: Promise<void>
  #pending = new Map<number, Pending>()
  #nextId = 1
  #logOffset = 0
  #stopping = false

  private constructor(readonly name: string, options: ChildOptions) {
    const directory = runDir()
    this.logPath = join(directory, `${name}-${Date.now()}.log`)
    // An empty working directory, so that no stray .env is read.
    const cwd = mkdtempSync(join(directory, `${name}-cwd-`))
    const logFd = openSync(this.logPath, 'a')
    const env: NodeJS.ProcessEnv = {}
    for (const [key, value] of Object.entries(process.env)) if (!INHERITED_BUT_IGNORED.test(key)) env[key] = value
    Object.assign(env, options.env)
    const execArgv = ['--import', TSX_LOADER, '--import', EXIT_WITH_PARENT]
    if (options.cpuProfileDir) {
      // A directory per child: Node names each thread's profile itself (the tsx loader has a thread too).
      const profileDir = join(options.cpuProfileDir, `${name}-${Date.now()}`)
      mkdirSync(profileDir, { recursive: true })
      execArgv.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`)
    }
    this.#process = fork(options.script, options.args ?? [], { cwd, env, execArgv, stdio: ['ignore', logFd, 'pipe', 'ipc'] })
    closeSync(logFd)
    live.add(this.#process)

    this.#process.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-16_384)
    })
    let markReady: () => void
    let failReady: (error: Error) => void
    this.#ready = new Promise((resolve, reject) => ((markReady = resolve), (failReady = reject)))
    this.#ready.catch(() => {}) // children that never speak RPC are checked elsewhere
    this.#process.on('message', (message: { ready?: true; id?: number; result?: unknown; error?: string }) => {
      if (message.ready) return markReady()
      const pending = message.id === undefined ? undefined : this.#pending.get(message.id)
      if (!pending) return
      this.#pending.delete(message.id!)
      if (message.error !== undefined) pending.reject(new Error(`${this.name}.${pending.method}: ${message.error}`))
      else pending.resolve(message.result)
    })
    this.#process.on('exit', (code, signal) => {
      live.delete(this.#process)
      this.#exit = signal ? `signal ${signal}` : `code ${code}`
      const error = new Error(`${this.name} exited (${this.#exit})${this.#stopping ? '' : ' unexpectedly'}${this.stderrTail()}`)
      failReady(error)
      for (const pending of this.#pending.values()) pending.reject(error)
      this.#pending.clear()
    })
  }

  static start(options: ChildOptions): Child {
    return new Child(options.name, options)
  }

  get pid(): number | undefined {
    return this.#process.pid
  }

  /** Calls a handler the child registered with serveRpc (see children/rpc.ts). */
  async call<T>(method: string, params: unknown = {}): Promise<T> {
    await this.#ready
    this.assertRunning()
    const id = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, method })
      this.#process.send({ id, method, params })
    })
  }

  /** Polls `url` until it answers 200; fails when the child exits first or after `timeoutMs`. */
  async waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      this.assertRunning()
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
        await response.arrayBuffer()
        if (response.ok) return
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name} did not answer ${url} within ${timeoutMs} ms${this.stderrTail()}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** CPU seconds (user + system, every thread) the child has used so far; NaN where /proc is missing. */
  cpuSeconds(): number {
    try {
      // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
      const fields = readFileSync(`/proc/${this.#process.pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')
      return (Number(fields[11]) + Number(fields[12])) / clockTicks()
    } catch {
      return Number.NaN
    }
  }

  assertRunning(): void {
    if (this.#exit !== null) throw new Error(`${this.name} is not running (exited with ${this.#exit})${this.stderrTail()}`)
  }

  /**
   * Log lines at pino level error or fatal written since the last call: a server under test that
   * logs an error has failed the benchmark, whatever the load generator saw.
   */
  newServerErrors(): string[] {
    const size = statSync(this.logPath).size
    if (size <= this.#logOffset) return []
    const fd = openSync(this.logPath, 'r')
    const errors: string[] = []
    try {
      const chunk = Buffer.alloc(1 << 20)
      let carry = ''
      for (let offset = this.#logOffset; offset < size; ) {
        const read = readSync(fd, chunk, 0, Math.min(chunk.length, size - offset), offset)
        offset += read
        const lines = (carry + chunk.toString('utf8', 0, read)).split('\n')
        carry = lines.pop() ?? ''
        for (const line of lines) if (/"level":(50|60)\b/.test(line)) errors.push(line.slice(0, 500))
      }
      if (/"level":(50|60)\b/.test(carry)) errors.push(carry.slice(0, 500))
    } finally {
      closeSync(fd)
    }
    this.#logOffset = size
    return errors
  }

  /** Throws if the child has exited or logged errors since the last check. */
  assertHealthy(): void {
    this.assertRunning()
    const errors = this.newServerErrors()
    if (errors.length > 0) {
      throw new Error(`${this.name} logged ${errors.length} error line(s) (${this.logPath}); first: ${errors[0]}`)
    }
  }

  /** SIGTERM (a graceful stop, which also writes a CPU profile), then SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (this.#exit !== null) return
    this.#stopping = true
    const exited = new Promise<void>((resolve) => this.#process.once('exit', () => resolve()))
    this.#process.kill('SIGTERM')
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }

  private stderrTail(): string {
    const tail = this.#stderr.trim().split('\n').slice(-15).join('\n')
    return tail ? `\n--- ${this.name} stderr ---\n${tail}` : ''
  }
}

let ticks: number | undefined
function clockTicks(): number {
  try {
    ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    ticks = 100
  }
  return ticks
}

/** A TCP port that was free a moment ago (loopback only). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * Runs a TypeScript entry point to completion (a CLI command, say) with tsx, in an empty working
 * directory and with exactly `env` on top of the shell's unrelated variables; resolves with stdout.
 */
export function runScript(script: string, args: string[], env: Record<string, string>): Promise<string> {
  const childEnv: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) if (!INHERITED_BUT_IGNORED.test(key)) childEnv[key] = value
  Object.assign(childEnv, env)
  const cwd = mkdtempSync(join(runDir(), 'command-cwd-'))
  return new Promise((resolveOutput, reject) => {
    execFile(process.execPath, ['--import', TSX_LOADER, script, ...args], { cwd, env: childEnv, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${script} ${args.join(' ')} failed: ${stderr.trim() || error.message}`))
      else resolveOutput(stdout)
    })
  })
}

export function childScript(name: string): string {
  return join(REPO_ROOT, 'bench', 'children', name)
}
