/**
 * The worker thread of sqlite-checkpointer.ts (read that first). It opens a better-sqlite3
 * connection of its own to the server's database file and, every `intervalMs`, runs a PASSIVE
 * checkpoint: it copies the WAL's committed pages into the database file and fsyncs it, here,
 * off the server's event loop. PASSIVE takes no lock a writer or reader waits for and never calls
 * the busy handler, so this thread never makes the server's connection wait either; a busy
 * timeout on this connection may sleep, but only this thread.
 */
import { parentPort, workerData } from 'node:worker_threads'
import Sqlite from 'better-sqlite3'

export interface CheckpointWorkerSettings {
  path: string
  intervalMs: number
}

/** Worker -> server: the connection is open and a first checkpoint ran. */
export type FromCheckpointWorker = { type: 'ready' }
/** Server -> worker: checkpoint one last time, close, exit. */
export type ToCheckpointWorker = { type: 'stop' }


interface CheckpointResult {
  busy: number
  log: number
  checkpointed: number
}

const port = parentPort
if (!port) throw new Error('sqlite-checkpoint-worker: must run as a worker thread')
const settings = workerData as CheckpointWorkerSettings
const db = new Sqlite(settings.path, { timeout: 1000 })

function checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): CheckpointResult {
  // A statement that reads the header first: a connection opened before the file was switched to
  // WAL only notices at its next read, and a checkpoint alone would not read.
  db.pragma('schema_version')
  return (db.pragma(`wal_checkpoint(${mode})`) as CheckpointResult[])[0]!
}

checkpoint('PASSIVE')
port.postMessage({ type: 'ready' } satisfies FromCheckpointWorker)

// An error thrown here ends the thread, and the server then hands checkpoints back to SQLite.
const timer = setInterval(() => checkpoint('PASSIVE'), settings.intervalMs)

port.on('message', (message: ToCheckpointWorker) => {
  if (message.type !== 'stop') return
  clearInterval(timer)
  // At shutdown nothing writes any more: copy what is left and empty the WAL file, so that it does
  // not linger beside the database (when the server's connection is the last one, closing it
  // would also delete the file).
  try {
    checkpoint('TRUNCATE')
  } finally {
    db.close()
    port.close()
  }
})
