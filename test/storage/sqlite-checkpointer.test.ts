import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import { connect, sqlitePath, type Database } from '../../src/storage/connect.js'
import { sql } from '../../src/storage/direct-sql.js'
import { BACKSTOP_AUTOCHECKPOINT, SQLITE_DEFAULT_AUTOCHECKPOINT, startSqliteCheckpointer } from '../../src/storage/sqlite-checkpointer.js'
import { freshDatabase } from '../helpers/databases.js'

/**
 * On SQLite the long-running server checkpoints the WAL from a worker thread: its own connection
 * keeps only a backstop, the worker copies the WAL into the database file, and whenever the
 * worker is not running SQLite's default automatic checkpoint is back.
 */

function recordingLogger() {
  const warnings: string[] = []
  return { warnings, logger: { warn: (_fields: object, message: string) => void warnings.push(message), debug: () => {} } }
}

async function autocheckpoint(db: Database): Promise<number> {
  const [row] = await db.direct.query(sql`PRAGMA wal_autocheckpoint`)
  return Number(row!.wal_autocheckpoint)
}

/** Polls until `condition` holds, for up to 20 s (a loaded machine is slow; a broken rule never gets there). */
async function eventually(condition: () => boolean | Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (await condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}

async function serverDatabase(t: import('ava').ExecutionContext) {
  const database = await freshDatabase('sqlite')
  const { logger, warnings } = recordingLogger()
  const db = connect(database.url, { checkpointInWorker: { logger } })
  t.teardown(async () => {
    await db.close()
    await database.drop()
  })
  // A table of its own: the rule is about pages, not about Latch's schema.
  await db.direct.write([sql`CREATE TABLE filler (id INTEGER PRIMARY KEY, value TEXT NOT NULL)`])
  t.truthy(db.checkpointer, 'the client connected, so the worker started')
  await db.checkpointer!.ready
  return { db, path: sqlitePath(database.url), warnings }
}

/** `count` commits of ~200 bytes each through the server's connection: a few pages each, far fewer than 1000 in all. */
async function write(db: Database, count: number): Promise<void> {
  for (let index = 0; index < count; index++) await db.direct.write([sql`INSERT INTO filler (value) VALUES (${'x'.repeat(200) + index})`])
}

test('sqlite: the server connection only keeps a backstop, and the worker copies the WAL into the database file', async (t) => {
  const { db, path } = await serverDatabase(t)
  t.is(await autocheckpoint(db), BACKSTOP_AUTOCHECKPOINT)
  const pages = async () => Number((await db.direct.query(sql`PRAGMA page_count`))[0]!.page_count)
  const pageSize = Number((await db.direct.query(sql`PRAGMA page_size`))[0]!.page_size)
  const pagesBefore = await pages()

  await write(db, 300)
  t.is(await autocheckpoint(db), BACKSTOP_AUTOCHECKPOINT, 'writes leave it so')
  const pagesAfter = await pages()
  t.true(pagesAfter > pagesBefore + 5, 'the writes added pages')
  // Committed pages live in the WAL until a checkpoint copies them; the file has the database's
  // full size only once one has copied all of them. Nobody but the worker checkpoints here: 300
  // commits are far below the backstop (and below SQLite's default, so no inline checkpoint
  // would have run either).
  t.true(await eventually(() => statSync(path).size === pagesAfter * pageSize), `the database file reaches ${pagesAfter} pages`)
})

test('sqlite: a worker that dies hands checkpoints back to SQLite, with a warning', async (t) => {
  const { db, warnings } = await serverDatabase(t)
  t.is(await autocheckpoint(db), BACKSTOP_AUTOCHECKPOINT)
  await db.checkpointer!.worker!.terminate()
  t.true(await eventually(async () => (await autocheckpoint(db)) === SQLITE_DEFAULT_AUTOCHECKPOINT), 'the default is back')
  t.is(warnings.length, 1)
  t.regex(warnings[0]!, /checkpoint worker stopped/)
})

test('sqlite: a worker that cannot open the database leaves SQLite its default, with a warning', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'latch-test-'))
  t.teardown(() => rmSync(directory, { recursive: true, force: true }))
  const { logger, warnings } = recordingLogger()
  const set: number[] = []
  // A directory is no database file: the worker's `new Database()` throws.
  const checkpointer = startSqliteCheckpointer({ path: directory, setAutocheckpoint: (pages) => void set.push(pages), logger })
  await t.throwsAsync(checkpointer.ready)
  t.deepEqual(set, [SQLITE_DEFAULT_AUTOCHECKPOINT, SQLITE_DEFAULT_AUTOCHECKPOINT], 'never the backstop')
  t.is(warnings.length, 1)
  await checkpointer.close()
})

test('sqlite: without checkpointInWorker (a one-shot command) there is no worker and SQLite checkpoints as usual', async (t) => {
  const database = await freshDatabase('sqlite')
  const db = connect(database.url)
  t.teardown(async () => {
    await db.close()
    await database.drop()
  })
  t.is(await autocheckpoint(db), SQLITE_DEFAULT_AUTOCHECKPOINT)
  t.is(db.checkpointer, undefined)
})

test('sqlite: the checkpointer stops after a last checkpoint that empties the WAL, while the server\'s connection is still open', async (t) => {
  const { db, path } = await serverDatabase(t)
  const exited = once(db.checkpointer!.worker!, 'exit')
  await write(db, 300)
  t.true(statSync(`${path}-wal`).size > 0, 'the writes are in the WAL')
  await db.checkpointer!.close()
  await exited
  // Still open, the server's connection would not delete the WAL: only the worker's TRUNCATE empties it.
  t.is(statSync(`${path}-wal`).size, 0)
  await db.close()
  t.true(!existsSync(`${path}-wal`), 'and closing the last connection removes it')
})

const PROCESS = fileURLToPath(new URL('./sqlite-checkpointer-process.ts', import.meta.url))

for (const mode of ['close', 'no-close'] as const) {
  test(`sqlite: a process with a checkpoint worker exits by itself (${mode})`, async (t) => {
    const database = await freshDatabase('sqlite')
    t.teardown(() => database.drop())
    const child = spawn(process.execPath, ['--import', 'tsx', PROCESS, database.url, mode], { stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    const [code] = (await once(child, 'exit')) as [number | null]
    clearTimeout(killer)
    t.is(stdout.trim(), 'ready', 'the worker ran')
    t.is(code, 0, 'nothing kept it alive')
  })
}
