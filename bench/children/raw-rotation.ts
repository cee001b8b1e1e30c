/**
 * The refresh floor: the statements of src/storage/session-store.ts as Latch runs them (the lookup
 * of findByRefreshTokenHash on its own, then rotate()'s statements as one write: a single statement
 * alone, several in one transaction) on the raw driver, with no HTTP, no Prisma and no token
 * signing. better-sqlite3 is synchronous, so on SQLite concurrency is moot and the floor is one
 * thread's throughput; on PostgreSQL it is a pg pool of as many connections as there are
 * concurrent chains. On SQLite the WAL is checkpointed as Latch's server does it: by the same
 * worker thread (src/storage/sqlite-checkpointer.ts), the connection keeping only its backstop.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import Sqlite from 'better-sqlite3'
import pg from 'pg'
import { RefreshTokenSecrets } from '../../src/domain/sessions/refresh-token-secrets.js'
import { pgSettings, sqlitePath } from '../../src/storage/connect.js'
import { startSqliteCheckpointer } from '../../src/storage/sqlite-checkpointer.js'
import { lookupStatement, rotateStatements, type RotationValues } from '../lib/rotation-sql.js'
import type { Round } from '../lib/measure.js'
import { Latencies } from '../lib/stats.js'
import { serveRpc } from './rpc.js'

interface Chain {
  /** SHA-256 of the current refresh token, as stored. */
  hash: string
}

interface Row {
  token_id: string
  used_at: unknown
  session_id: string
}

interface Driver {
  /** Rotates every chain, round-robin or concurrently, for `seconds`. */
  run(chains: Chain[], seconds: number): Promise<Round>
  close(): Promise<void>
}

let driver: Driver | null = null
let secrets: RefreshTokenSecrets

/** A successor as Latch stores one: a fresh id and the SHA-256 (base64url) of 32 random bytes. */
function successor(): { id: string; hash: string } {
  return { id: randomUUID(), hash: createHash('sha256').update(randomBytes(32)).digest('base64url') }
}

/** Throughput and latency of a run, and the CPU this process spent per rotation. */
function summary(latencies: Latencies, started: number, cpuAtStart: NodeJS.CpuUsage): Round {
  const cpu = process.cpuUsage(cpuAtStart)
  return {
    rps: latencies.count / ((performance.now() - started) / 1000),
    ...latencies.percentiles(),
    cpuPerOp: (cpu.user + cpu.system) / latencies.count,
  }
}

function assertFound(row: Row | undefined): asserts row is Row {
  if (!row) throw new Error('floor: the presented refresh token was not found')
  if (row.used_at !== null) throw new Error('floor: the presented refresh token was already used')
}

/** Every statement of a rotation touches (or, for one that returns rows, returns) exactly one row. */
function assertRotated(counts: number[]): void {
  if (counts.some((count) => count !== 1)) throw new Error(`floor: rotation did not commit (counts ${counts.join(', ')})`)
}

async function openSqlite(url: string): Promise<Driver> {
  // The same settings as Latch's adapter: busy timeout 5 s, WAL, synchronous=NORMAL, foreign keys.
  const path = sqlitePath(url)
  const db = new Sqlite(path, { timeout: 5000 })
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  // And the same checkpoints as Latch's server: off this thread, by the same worker.
  const checkpointer = startSqliteCheckpointer({
    path,
    setAutocheckpoint: (pages) => void db.pragma(`wal_autocheckpoint = ${pages}`),
    logger: { warn: (fields, message) => process.stderr.write(`floor: ${message} ${JSON.stringify(fields)}\n`), debug: () => {} },
  })
  await checkpointer.ready
  const lookup = lookupStatement('sqlite')
  const find = db.prepare<string[], Row>(lookup.sql)
  const statements = rotateStatements('sqlite').map((statement) => ({ run: db.prepare(statement.sql), params: statement.params }))
  // As Latch's write: one statement alone, several in one transaction.
  const write = (values: RotationValues) => statements.map((statement) => statement.run.run(...statement.params(values)).changes)
  const atomically = statements.length > 1 ? db.transaction(write) : write
  const rotate = (chain: Chain) => {
    const next = successor()
    // Prisma's SQLite adapter stores DateTime as ISO 8601 text with an explicit +00:00 offset.
    const at = new Date().toISOString().replace('Z', '+00:00')
    const values: RotationValues = { hash: chain.hash, tokenId: '', sessionId: '', 'successor.id': next.id, 'successor.hash': next.hash, at }
    const row = find.get(...lookup.params(values))
    assertFound(row)
    assertRotated(atomically({ ...values, tokenId: row.token_id, sessionId: row.session_id }))
    chain.hash = next.hash
  }
  return {
    async run(chains, seconds) {
      const latencies = new Latencies()
      const cpu = process.cpuUsage()
      const started = performance.now()
      const deadline = started + seconds * 1000
      for (let index = 0; ; index = (index + 1) % chains.length) {
        const before = performance.now()
        if (before >= deadline) break
        rotate(chains[index]!)
        latencies.record(performance.now() - before)
      }
      return summary(latencies, started, cpu)
    },
    async close() {
      await checkpointer.close()
      db.close()
    },
  }
}

function openPostgres(url: string): Driver {
  // The same connection settings as Latch (?schema= becomes the search_path).
  const { connectionString } = pgSettings(url)
  const lookup = lookupStatement('pg')
  const statements = rotateStatements('pg')
  let pool: pg.Pool | null = null

  // As Latch: the lookup on its own, then the rotation as one write (a single statement needs no
  // BEGIN/COMMIT: it is atomic by itself; several run in one transaction on one connection).
  const write = async (values: RotationValues): Promise<number[]> => {
    if (statements.length === 1) return [(await pool!.query(statements[0]!.sql, statements[0]!.params(values))).rowCount ?? 0]
    const client = await pool!.connect()
    try {
      await client.query('BEGIN')
      const counts: number[] = []
      for (const statement of statements) counts.push((await client.query(statement.sql, statement.params(values))).rowCount ?? 0)
      await client.query('COMMIT')
      return counts
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }
  const rotate = async (chain: Chain) => {
    const next = successor()
    const at = new Date().toISOString()
    const values: RotationValues = { hash: chain.hash, tokenId: '', sessionId: '', 'successor.id': next.id, 'successor.hash': next.hash, at }
    const row = (await pool!.query<Row>(lookup.sql, lookup.params(values))).rows[0]
    assertFound(row)
    assertRotated(await write({ ...values, tokenId: row.token_id, sessionId: row.session_id }))
    chain.hash = next.hash
  }

  return {
    async run(chains, seconds) {
      // A pool as large as the concurrency, connected before the clock starts.
      pool = new pg.Pool({ connectionString, max: chains.length })
      try {
        const warm = await Promise.all(chains.map(() => pool!.connect()))
        for (const client of warm) client.release()
        const latencies = new Latencies()
        const cpu = process.cpuUsage()
        const started = performance.now()
        const deadline = started + seconds * 1000
        await Promise.all(
          chains.map(async (chain) => {
            while (performance.now() < deadline) {
              const before = performance.now()
              await rotate(chain)
              latencies.record(performance.now() - before)
            }
          }),
        )
        return summary(latencies, started, cpu)
      } finally {
        await pool.end()
        pool = null
      }
    },
    async close() {},
  }
}

serveRpc({
  async open(params: { url: string; refreshTokenKey: string }) {
    secrets = new RefreshTokenSecrets(Buffer.from(params.refreshTokenKey, 'base64url'))
    driver = params.url.startsWith('file:') ? await openSqlite(params.url) : openPostgres(params.url)
  },
  /** Rotates one chain per refresh token (tokens freshly issued by Latch's /login) for `seconds`. */
  run(params: { refreshTokens: string[]; seconds: number }) {
    const chains = params.refreshTokens.map((token) => {
      const parsed = secrets.parse(token)
      if (!parsed) throw new Error('floor: not a Latch refresh token')
      return { hash: parsed.hash }
    })
    return driver!.run(chains, params.seconds)
  },
  async close() {
    await driver?.close()
  },
})
