import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Runs the operator's CLI as a real process, as `npx latch` would, for the CLI tests. */

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * The environment of a CLI process: this one's, minus every setting Latch reads and the IPC channel
 * ava's worker was given (a child inheriting NODE_CHANNEL_FD would keep a channel open and never
 * exit), plus `env`.
 */
export function cliEnvironment(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(LATCH_|NODE_CHANNEL_|DATABASE_URL$|LOG_LEVEL$|PORT$|HOST$|NODE_ENV$)/.test(name)),
  )
  return { ...inherited, NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env }
}

/**
 * `latch <args>` from source (tsx) with `env` on top of a clean environment, in `cwd` (the repo
 * by default; a temporary directory keeps a developer's .env out), with `input` on its standard
 * input if given. Killed after 90 s, which only a
 * hung command or a badly overloaded machine reaches.
 */
export function latchCli(args: string[], env: Record<string, string>, options: { cwd?: string; input?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: options.cwd ?? ROOT,
      env: cliEnvironment(env),
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    if (options.input !== undefined) child.stdin!.end(options.input)
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const deadline = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(deadline)
      resolve({ code, stdout, stderr })
    })
  })
}
