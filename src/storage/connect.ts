import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaPg } from '@prisma/adapter-pg'
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import { createDirectSql, type DirectSql } from './direct-sql.js'
import { PrismaClient } from './generated/postgresql/client.js'
import { PrismaClient as SqlitePrismaClient } from './generated/sqlite/client.js'
import { startSqliteCheckpointer, type CheckpointerLogger, type SqliteCheckpointer } from './sqlite-checkpointer.js'

export type Provider = 'postgresql' | 'sqlite'

export interface Database {
  provider: Provider
  /** Typed as the PostgreSQL client; the SQLite client has the identical model API. */
  prisma: PrismaClient
  /** Migration-aware (it can also open a shadow database), which migrate() relies on. */
  adapterFactory: SqlDriverAdapterFactory
  /** PostgreSQL only: how to open a connection of one's own (LISTEN cannot share a pooled one). */
  postgres?: { connectionString: string; connectionTimeoutMillis: number; schema?: string }
  /** The hot statements, on the very adapter the Prisma client is connected through (see direct-sql.ts). */
  direct: DirectSql
  /** SQLite, with `checkpointInWorker` only: the worker thread that checkpoints the WAL (once the client has connected). */
  checkpointer?: SqliteCheckpointer
  close(): Promise<void>
}

export interface ConnectOptions {
  /**
   * SQLite: checkpoint the WAL from a worker thread rather than inside whichever COMMIT fills it
   * (see sqlite-checkpointer.ts). For the long-running server; a one-shot command does without.
   * Ignored on PostgreSQL.
   */
  checkpointInWorker?: { logger: CheckpointerLogger }
}

/** Opens a database from a `file:` (SQLite) or `postgres(ql)://` URL. Connects lazily. */
export function connect(databaseUrl: string, options: ConnectOptions = {}): Database {
  if (databaseUrl.startsWith('file:')) return connectSqlite(databaseUrl, options)
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return connectPostgres(databaseUrl)
  throw new Error(
    `Unsupported database URL "${redact(databaseUrl)}": expected file:<path> (SQLite) or postgresql://… (PostgreSQL)`,
  )
}

const SQLITE_BUSY_TIMEOUT_MS = 5000

function connectSqlite(databaseUrl: string, options: ConnectOptions): Database {
  const path = sqlitePath(databaseUrl)
  mkdirSync(dirname(path), { recursive: true })
  // timeout is better-sqlite3's busy timeout: wait for a concurrent writer instead of failing.
  const adapterFactory = withSqlitePragmas(new PrismaBetterSqlite3({ url: path, timeout: SQLITE_BUSY_TIMEOUT_MS }))
  // The client's connection only: migrations' adapters keep SQLite's own checkpoints. The worker
  // starts with the client's first connection, by when migrations are done and the file is in WAL
  // mode (a connection of its own open on the file while migrations began failed them: SQLITE_BUSY).
  let checkpointer: SqliteCheckpointer | undefined
  let closed = false
  const inWorker = options.checkpointInWorker
  const autocheckpoint = inWorker
    ? withAutocheckpoint(adapterFactory, () => {
        if (!closed) checkpointer ??= startSqliteCheckpointer({ path, setAutocheckpoint: autocheckpoint!.set, logger: inWorker.logger })
      })
    : null
  const shared = sharing(autocheckpoint?.factory ?? adapterFactory)
  // A transaction waits for its turn as long as a statement waits for a concurrent writer.
  const prisma = new SqlitePrismaClient({ adapter: shared.factory, transactionOptions: { maxWait: SQLITE_BUSY_TIMEOUT_MS } }) as unknown as PrismaClient
  const direct = createDirectSql('sqlite', () => shared.adapter(prisma))
  return {
    provider: 'sqlite',
    prisma,
    adapterFactory,
    direct,
    get checkpointer() {
      return checkpointer
    },
    close: async () => {
      closed = true
      // The worker first: its last checkpoint runs off this thread, and the client's connection,
      // closing last, then finds an empty WAL.
      await checkpointer?.close()
      await prisma.$disconnect()
    },
  }
}

/**
 * Applies `PRAGMA wal_autocheckpoint` to every connection the factory hands out, and to those
 * already open whenever `set` changes it (sqlite-checkpointer.ts switches it between its backstop
 * and SQLite's default). `connected` runs after each connection is made.
 */
function withAutocheckpoint(factory: SqlMigrationAwareDriverAdapterFactory, connected: () => void) {
  let pages: number | null = null
  const open = new Set<SqlDriverAdapter>()
  // executeScript runs at once (better-sqlite3 is synchronous) and may throw before it returns a
  // promise; this runs from the checkpointer's thread events, where a throw would end the process.
  // A connection that refuses the pragma keeps its setting, a closed one needs none.
  const apply = (adapter: SqlDriverAdapter) => {
    try {
      void adapter.executeScript(`PRAGMA wal_autocheckpoint = ${pages}`).catch(() => {})
    } catch {
      // See above.
    }
  }
  return {
    factory: observed(factory, {
      opened(adapter) {
        open.add(adapter)
        if (pages !== null) apply(adapter)
        connected()
      },
      disposed: (adapter) => open.delete(adapter),
    }),
    set(value: number) {
      pages = value
      for (const adapter of open) apply(adapter)
    },
  }
}

/** `file:./x.db` is relative to the working directory; `file:///abs` is a file URL. */
export function sqlitePath(databaseUrl: string): string {
  const withoutQuery = databaseUrl.replace(/\?.*$/, '')
  if (withoutQuery.startsWith('file://')) return fileURLToPath(withoutQuery)
  const path = withoutQuery.slice('file:'.length)
  if (!path) throw new Error('SQLite database URL has no path: expected file:<path>')
  return resolve(process.cwd(), path)
}

/**
 * The adapter opens better-sqlite3 itself and has no pragma option, so set them on every
 * connection it hands out. WAL lets readers proceed during a write; synchronous=NORMAL is
 * durable enough under WAL (a power loss can lose the last commits, never corrupt).
 */
function withSqlitePragmas(factory: PrismaBetterSqlite3): SqlMigrationAwareDriverAdapterFactory {
  const pragmas = 'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;'
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    async connect() {
      const adapter = await factory.connect()
      await adapter.executeScript(pragmas)
      return adapter
    },
    connectToShadowDb: () => factory.connectToShadowDb(),
  }
}

function connectPostgres(databaseUrl: string): Database {
  const { connectionString, schema, max, connectionTimeoutMillis } = pgSettings(databaseUrl)
  const adapterFactory = new PrismaPg(
    { connectionString, connectionTimeoutMillis, ...(max ? { max } : {}) },
    schema ? { schema } : undefined,
  )
  const shared = sharing(adapterFactory)
  // A transaction waits for a pooled connection as long as a query does (connect_timeout), instead
  // of Prisma's own 2 s; 0 (no limit) keeps Prisma's default.
  const prisma = new PrismaClient({ adapter: shared.factory, ...(connectionTimeoutMillis > 0 ? { transactionOptions: { maxWait: connectionTimeoutMillis } } : {}) })
  const direct = createDirectSql('postgresql', () => shared.adapter(prisma))
  return {
    provider: 'postgresql',
    prisma,
    adapterFactory,
    direct,
    postgres: { connectionString, connectionTimeoutMillis, ...(schema ? { schema } : {}) },
    close: () => prisma.$disconnect(),
  }
}

/**
 * Hands the Prisma client its adapter through a factory that remembers it, so that the hot
 * statements of direct-sql.ts run on the same connection (SQLite) or pool (PostgreSQL) rather
 * than on one of their own. migrate() keeps using the plain factory: its adapters are the schema
 * engine's, opened and disposed around the migration, before anything serves.
 */
function sharing(factory: SqlDriverAdapterFactory) {
  let current: SqlDriverAdapter | null = null
  return {
    factory: observed(factory, {
      opened: (adapter) => (current = adapter),
      disposed: (adapter) => {
        if (current === adapter) current = null
      },
    }),
    /** The client's adapter, connecting the client first when it has not connected yet (or was disconnected). */
    async adapter(prisma: { $connect(): Promise<void> }): Promise<SqlDriverAdapter> {
      if (!current) await prisma.$connect()
      if (!current) throw new Error('the Prisma client connected without asking its adapter factory')
      return current
    },
  }
}

/** `factory`, telling `hooks` of each adapter it opens and of each one's disposal. */
function observed(
  factory: SqlDriverAdapterFactory,
  hooks: { opened(adapter: SqlDriverAdapter): void; disposed(adapter: SqlDriverAdapter): void },
): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    async connect() {
      const adapter = await factory.connect()
      const dispose = adapter.dispose.bind(adapter)
      adapter.dispose = async () => {
        hooks.disposed(adapter)
        await dispose()
      }
      hooks.opened(adapter)
      return adapter
    },
  }
}

/** Prisma's default `connect_timeout`, in seconds. */
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5

/**
 * Splits Prisma-style URL parameters from those node-postgres understands. `schema` becomes both
 * the adapter's schema (Prisma qualifies its queries with it) and the session search_path (so raw
 * SQL and migrations land in it too); `connection_limit` becomes the pool size; `connect_timeout`
 * (seconds, 0 for none) bounds how long a query waits for a connection, so an unreachable server
 * fails requests with 503 instead of hanging them (node-postgres itself would wait forever). Every
 * other parameter (sslmode, application_name, options, …) is left for pg.
 */
export function pgSettings(databaseUrl: string): { connectionString: string; schema?: string; max?: number; connectionTimeoutMillis: number } {
  const url = new URL(databaseUrl)
  const schema = url.searchParams.get('schema') ?? undefined
  const limit = url.searchParams.get('connection_limit')
  const timeout = url.searchParams.get('connect_timeout')
  url.searchParams.delete('schema')
  url.searchParams.delete('connection_limit')
  url.searchParams.delete('connect_timeout')
  if (schema !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(schema)) throw new Error(`Invalid PostgreSQL schema name "${schema}"`)
    const options = url.searchParams.get('options')
    url.searchParams.set('options', [options, `-c search_path="${schema}"`].filter(Boolean).join(' '))
  }
  const max = limit === null ? undefined : Number(limit)
  if (max !== undefined && !(Number.isInteger(max) && max > 0)) {
    throw new Error(`Invalid connection_limit "${limit}": expected a positive integer`)
  }
  const timeoutSeconds = timeout === null ? DEFAULT_CONNECT_TIMEOUT_SECONDS : Number(timeout)
  if (!(Number.isInteger(timeoutSeconds) && timeoutSeconds >= 0)) {
    throw new Error(`Invalid connect_timeout "${timeout}": expected a whole number of seconds`)
  }
  return {
    connectionString: url.toString(),
    ...(schema ? { schema } : {}),
    ...(max ? { max } : {}),
    connectionTimeoutMillis: timeoutSeconds * 1000,
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@')
}
