import { once } from 'node:events'
import { inspect } from 'node:util'
import { Worker } from 'node:worker_threads'
import type { CheckpointWorkerSettings, FromCheckpointWorker, ToCheckpointWorker } from './sqlite-checkpoint-worker.js'

/**
 * WAL checkpoints off the event loop.
 *
 * In WAL mode SQLite runs an automatic checkpoint inside the COMMIT of whichever statement took
 * the WAL past `wal_autocheckpoint` pages (1000 by default): it copies those pages into the
 * database file and fsyncs it, ~9 ms on a plain disk. better-sqlite3 is synchronous, so that is
 * 9 ms of the event loop, and every request in flight waits (it was the whole of refresh's p99 at
 * one client). So a worker thread, with a connection of its own, checkpoints the WAL instead (see
 * sqlite-checkpoint-worker.ts), and the server's connection stops checkpointing at 1000 pages. A
 * second connection on the main thread would not do: its busy timeout is a synchronous sleep (see
 * direct-sql.ts); a PASSIVE checkpoint in a worker never makes anyone wait.
 *
 * Why the server's connection keeps a backstop (`wal_autocheckpoint = 10000`) rather than 0: a
 * checkpoint copies the WAL, but only a write that *begins* after a checkpoint has copied all of
 * it starts the WAL over from its first page. Under a steady stream of writes some always land
 * while the worker's checkpoint runs (it takes milliseconds; a refresh comes every one), the WAL
 * is then never restarted and grows by every page written: 700 MB in 6 s, measured, with 0. The
 * backstop lets the server's own connection checkpoint (copying only what the worker has not yet
 * copied) once the WAL reaches 10 000 pages, ~40 MB, after which the next write restarts it. Under
 * a steady load that costs the event loop one checkpoint per 10 000 pages, a tenth as often as
 * SQLite's default; with any pause between writes the worker restarts the WAL first and the
 * backstop never fires.
 *
 * Nothing is lost and nothing grows without bound: until the worker reports its first checkpoint,
 * and as soon as it fails to start or dies, the server's connection goes back to SQLite's default
 * (1000 pages), with a warning. close() stops the worker after one last checkpoint. Only the
 * long-running server starts one; a one-shot CLI command lets SQLite checkpoint as usual.
 */

/** SQLite's default `wal_autocheckpoint`, in pages. */
export const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000

/** `wal_autocheckpoint` on the server's connection while the worker checkpoints (see above). */
export const BACKSTOP_AUTOCHECKPOINT = 10_000

/**
 * How often the worker checkpoints. A checkpoint with nothing to copy costs a few microseconds,
 * one with something to copy an fsync of the WAL and of the database file, whatever their size.
 * 200 ms keeps what a checkpoint copies (and what the backstop may have to) to a fifth of a second
 * of writes, for at most five fsync pairs a second, off the event loop.
 */
export const CHECKPOINT_INTERVAL_MS = 200

/** How long close() lets the worker's last checkpoint take before it ends the thread anyway. */
const STOP_TIMEOUT_MS = 2000

/** What this module logs through: a pino logger (src/logger.ts) is one. */
export interface CheckpointerLogger {
  warn(fields: object, message: string): void
  debug(fields: object, message: string): void
}

export interface SqliteCheckpointerOptions {
  /** The database file. */
  path: string
  /** Sets `PRAGMA wal_autocheckpoint` on the server's connection: the backstop while the worker checkpoints, SQLite's default otherwise. */
  setAutocheckpoint(pages: number): void
  logger: CheckpointerLogger
  intervalMs?: number
}

export interface SqliteCheckpointer {
  /** Resolves once the worker has checkpointed once and the server's connection has stepped back to the backstop (rejects if it never will). */
  readonly ready: Promise<void>
  /** The thread (null if it could not be created), for tests and diagnostics. */
  readonly worker: Worker | null
  /** Stops the worker after a last checkpoint (and leaves the server's connection checkpointing by itself). */
  close(): Promise<void>
}

export function startSqliteCheckpointer(options: SqliteCheckpointerOptions): SqliteCheckpointer {
  const { path, setAutocheckpoint, logger } = options
  // Until the worker has proved it works, SQLite checkpoints as it always does.
  setAutocheckpoint(SQLITE_DEFAULT_AUTOCHECKPOINT)
  let stopping = false
  let failed = false
  let markReady!: () => void
  let markFailed!: (error: Error) => void
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve
    markFailed = reject
  })
  ready.catch(() => {})

  const fail = (thrown: unknown) => {
    if (failed) return
    failed = true
    // What a worker throws arrives cloned: a better-sqlite3 SqliteError as a plain object.
    const error = thrown instanceof Error ? thrown : new Error(`the checkpoint worker failed: ${inspect(thrown)}`)
    setAutocheckpoint(SQLITE_DEFAULT_AUTOCHECKPOINT)
    markFailed(error)
    if (!stopping) {
      logger.warn({ err: error, path }, 'the SQLite checkpoint worker stopped; SQLite checkpoints the WAL on the server\'s own thread again')
    }
  }

  let worker: Worker
  try {
    worker = startWorker({ path, intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS })
  } catch (error) {
    fail(error)
    return { ready, worker: null, close: async () => {} }
  }
  worker.on('message', (message: FromCheckpointWorker) => {
    if (message.type !== 'ready' || stopping || failed) return
    // Once running, the thread never keeps the process alive: exiting without close() merely skips
    // the last checkpoint. (Until then it does, so that `ready` settles.)
    worker.unref()
    setAutocheckpoint(BACKSTOP_AUTOCHECKPOINT)
    logger.debug({ path, intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS }, 'a worker thread checkpoints the SQLite WAL')
    markReady()
  })
  worker.on('error', fail)
  worker.on('exit', (code) => fail(new Error(`the checkpoint worker exited (code ${code})`)))

  return {
    ready,
    worker,
    async close() {
      if (stopping) return
      stopping = true
      if (failed) return
      const exited = once(worker, 'exit').catch(() => {})
      // Waited for, the thread must keep the process alive until it has exited.
      worker.ref()
      worker.postMessage({ type: 'stop' } satisfies ToCheckpointWorker)
      const deadline = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS)
      deadline.unref()
      await exited
      clearTimeout(deadline)
    },
  }
}

/**
 * The worker runs this module's sibling: compiled JavaScript next to dist/storage/…, or, when
 * Latch runs from source under tsx (tests, `npm run dev`, the benchmarks), the TypeScript file.
 * Node 20 does not apply the process's `--import tsx` to a worker's entry file (measured: "Unknown
 * file extension .ts"), so from source a two-line bootstrap registers tsx in the thread first.
 */
function startWorker(settings: CheckpointWorkerSettings): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./sqlite-checkpoint-worker.js', import.meta.url), { workerData: settings })
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  const entry = JSON.stringify(new URL('./sqlite-checkpoint-worker.ts', import.meta.url).href)
  return new Worker(`import(${tsx}).then((api) => { api.register(); return import(${entry}) })`, { eval: true, workerData: settings })
}
