import type { ArgType, SqlDriverAdapter, SqlQuery } from '@prisma/driver-adapter-utils'
import type { Provider } from './connect.js'

/**
 * The few hottest statements (a refresh's lookup and rotation, a login's user lookup and session
 * start, failed-login audit records, the live-state check behind every Bearer request) skip the
 * Prisma client and run on the driver adapter it is connected through: the very same adapter
 * instance, so the same SQLite connection and the same PostgreSQL pool.
 *
 * Why: the Prisma client spends 200–600 µs of CPU per query in its query compiler and interpreter
 * (and ~900 µs for a batch transaction of three raw statements), several times what the database
 * itself needs. Measured in-process on SQLite, core.refresh went from ~3.2 ms of CPU to ~0.4 ms,
 * and a login's work beside argon2 from ~3.4 ms to ~0.9 ms. Everything else stays on Prisma.
 *
 * Rules this module keeps:
 * - It never opens a connection of its own. A second better-sqlite3 connection in this process
 *   would be fatal: its busy timeout is a synchronous sleep, which would block the event loop
 *   while the transaction it waits for (open on the other connection) can never finish.
 * - A write never lands inside a transaction Prisma has open on the shared SQLite connection:
 *   when none is open it runs from BEGIN to COMMIT synchronously (nothing can interleave with it),
 *   otherwise it queues on the adapter's own mutex through startTransaction(), as Prisma's
 *   transactions do. Reads take no lock, exactly like Prisma's own reads.
 * - On PostgreSQL a single statement is sent on its own (it is atomic by itself: one round trip);
 *   several statements get BEGIN … COMMIT on one pooled connection.
 * - Values are always bound as parameters, and bound as the adapters bind them, so rows written
 *   here read back through Prisma unchanged (and the reverse).
 */

export type SqlValue = string | number | Date | null

/** One statement, written once with the `sql` tag and rendered for either database. */
export interface SqlStatement {
  readonly strings: TemplateStringsArray
  readonly values: readonly SqlValue[]
}

/** Portable SQL: `sql\`SELECT … WHERE id = ${id}\`` binds `id` as a parameter, never as text. */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): SqlStatement {
  return { strings, values }
}

/** The same tag, for a statement written for PostgreSQL only (the name says so, and the refresh benchmark reads it). */
export const postgresSql = sql
/** The same tag, for a statement written for SQLite only. */
export const sqliteSql = sql

export type Row = Record<string, unknown>

export interface DirectSql {
  readonly provider: Provider
  /** A read: the rows of one statement, each keyed by column name. */
  query(statement: SqlStatement): Promise<Row[]>
  /**
   * Writes, atomically: one statement on its own, several in one transaction. Returns each
   * statement's count (rows changed, or rows returned by a statement that returns rows).
   */
  write(statements: readonly SqlStatement[]): Promise<number[]>
}

/** `adapter` resolves to the adapter the Prisma client is connected through (connecting it if needed). */
export function createDirectSql(provider: Provider, adapter: () => Promise<SqlDriverAdapter>): DirectSql {
  return provider === 'sqlite' ? sqliteDirect(adapter) : postgresDirect(adapter)
}

// --- PostgreSQL: the adapter's own queryRaw/executeRaw on its pool -------------------------------

function postgresDirect(adapter: () => Promise<SqlDriverAdapter>): DirectSql {
  return {
    provider: 'postgresql',
    async query(statement) {
      const { columnNames, rows } = await (await adapter()).queryRaw(pgQuery(statement))
      return rows.map((values) => {
        const row: Row = {}
        columnNames.forEach((name, index) => (row[name] = values[index]))
        return row
      })
    },
    async write(statements) {
      const connection = await adapter()
      if (statements.length === 1) return [await connection.executeRaw(pgQuery(statements[0]!))]
      const tx = await connection.startTransaction()
      try {
        const counts: number[] = []
        for (const statement of statements) counts.push(await tx.executeRaw(pgQuery(statement)))
        await tx.executeRaw(bare('COMMIT'))
        await tx.commit()
        return counts
      } catch (error) {
        await abandon(tx)
        throw error
      }
    },
  }
}

const pgText = new WeakMap<TemplateStringsArray, string>()

function pgQuery({ strings, values }: SqlStatement): SqlQuery {
  let text = pgText.get(strings)
  if (text === undefined) {
    text = strings.reduce((sql, part, index) => sql + `$${index}` + part)
    pgText.set(strings, text)
  }
  return { sql: text, args: [...values], argTypes: values.map(argType) }
}

function argType(value: SqlValue): ArgType {
  if (value instanceof Date) return { scalarType: 'datetime', arity: 'scalar' }
  if (typeof value === 'number') return { scalarType: Number.isInteger(value) ? 'int' : 'float', arity: 'scalar' }
  return { scalarType: 'string', arity: 'scalar' }
}

// --- SQLite: prepared statements on the adapter's own better-sqlite3 connection ------------------

/** What this module uses of better-sqlite3's Database and Statement. */
interface SqliteConnection {
  prepare(sql: string): SqliteStatement
  readonly inTransaction: boolean
}
interface SqliteStatement {
  readonly reader: boolean
  safeIntegers(toggle: boolean): SqliteStatement
  all(...params: unknown[]): unknown[]
  run(...params: unknown[]): { changes: number }
}

/**
 * The adapter prepares every statement anew for each call (~50 µs for a three-table join, more
 * than running it); these statements are prepared once per connection and kept. @prisma/adapter-
 * better-sqlite3 (pinned) keeps its better-sqlite3 Database in `client`; should an upgrade move
 * it, the first hot statement fails loudly here rather than silently opening anything.
 */
function sqliteConnectionOf(adapter: SqlDriverAdapter): SqliteConnection {
  const client = (adapter as unknown as { client?: Partial<SqliteConnection> }).client
  if (typeof client?.prepare !== 'function' || typeof client.inTransaction !== 'boolean') {
    throw new Error('direct-sql: the SQLite driver adapter no longer exposes its better-sqlite3 connection as `client`; update src/storage/direct-sql.ts')
  }
  return client as SqliteConnection
}

/** One connection's prepared statements. */
class PreparedConnection {
  readonly #statements = new Map<TemplateStringsArray, SqliteStatement>()
  readonly begin: SqliteStatement
  readonly commit: SqliteStatement
  readonly rollback: SqliteStatement

  constructor(readonly connection: SqliteConnection) {
    this.begin = connection.prepare('BEGIN')
    this.commit = connection.prepare('COMMIT')
    this.rollback = connection.prepare('ROLLBACK')
  }

  statement({ strings }: SqlStatement): SqliteStatement {
    let statement = this.#statements.get(strings)
    if (!statement) {
      // The adapter turns on safe integers for the whole connection (BigInt results); these
      // statements only read small counters and versions, so plain numbers.
      statement = this.connection.prepare(strings.join('?')).safeIntegers(false)
      this.#statements.set(strings, statement)
    }
    return statement
  }

  /** Runs the statements (synchronously, as better-sqlite3 does everything) and counts each one's rows. */
  counts(statements: readonly SqlStatement[]): number[] {
    return statements.map((statement) => {
      const prepared = this.statement(statement)
      return prepared.reader ? prepared.all(...sqliteArgs(statement)).length : prepared.run(...sqliteArgs(statement)).changes
    })
  }

  /** Ends a failed transaction, if the failure left one open. */
  abandon(): void {
    if (this.connection.inTransaction) this.rollback.run()
  }
}

function sqliteDirect(adapter: () => Promise<SqlDriverAdapter>): DirectSql {
  // One set per adapter instance: a reconnected Prisma client gets a new connection.
  const connections = new WeakMap<SqlDriverAdapter, PreparedConnection>()
  const preparedFor = (connected: SqlDriverAdapter): PreparedConnection => {
    let prepared = connections.get(connected)
    if (!prepared) connections.set(connected, (prepared = new PreparedConnection(sqliteConnectionOf(connected))))
    return prepared
  }

  return {
    provider: 'sqlite',
    async query(statement) {
      return preparedFor(await adapter()).statement(statement).all(...sqliteArgs(statement)) as Row[]
    },
    async write(statements) {
      const connected = await adapter()
      const prepared = preparedFor(connected)
      if (!prepared.connection.inTransaction) {
        /*
         * No transaction is open on the connection, and this one runs from BEGIN to COMMIT
         * synchronously, in one turn of the event loop: no Prisma transaction (nor any other
         * statement) can start inside it, and it cannot start inside one. That is the guarantee
         * of the adapter's mutex, without the mutex (async-mutex and its promises) and the fresh
         * prepare of BEGIN and COMMIT that startTransaction() costs on every call.
         */
        prepared.begin.run()
        try {
          const counts = prepared.counts(statements)
          prepared.commit.run()
          return counts
        } catch (error) {
          prepared.abandon()
          throw error
        }
      }
      // A Prisma transaction is open (awaiting its next statement): queue behind it on the
      // adapter's mutex, as Prisma's own transactions do, then run as above.
      const tx = await connected.startTransaction()
      let counts: number[]
      try {
        counts = prepared.counts(statements)
        prepared.commit.run()
      } catch (error) {
        prepared.abandon()
        await tx.rollback()
        throw error
      }
      // Only releases the mutex: the adapter leaves COMMIT and ROLLBACK to its caller.
      await tx.commit()
      return counts
    },
  }
}

/** Binds values as the adapter would, so rows written here read back through Prisma unchanged. */
function sqliteArgs({ values }: SqlStatement): unknown[] {
  // Prisma's SQLite adapter stores a DateTime as ISO 8601 text with an explicit +00:00 offset.
  return values.map((value) => (value instanceof Date ? value.toISOString().replace('Z', '+00:00') : value))
}

// --- shared ---------------------------------------------------------------------------------

function bare(text: string): SqlQuery {
  return { sql: text, args: [], argTypes: [] }
}

/** Rolls back (the adapter leaves ROLLBACK to its caller) and releases the connection or mutex. */
async function abandon(tx: Awaited<ReturnType<SqlDriverAdapter['startTransaction']>>): Promise<void> {
  try {
    if (!tx.options.usePhantomQuery) await tx.executeRaw(bare('ROLLBACK'))
  } catch {
    // Nothing to roll back (a failed COMMIT may already have ended it); the original error matters.
  } finally {
    await tx.rollback()
  }
}

// --- reading values back ----------------------------------------------------------------------

/** A DateTime column: ISO text from either adapter (a number if a row was ever stored as epoch ms). */
export function asDate(value: unknown): Date {
  const date = new Date(typeof value === 'string' || typeof value === 'number' ? value : Number.NaN)
  if (Number.isNaN(date.getTime())) throw new TypeError(`direct-sql: not a timestamp: ${String(value)}`)
  return date
}

export function asDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : asDate(value)
}

/** A boolean expression: PostgreSQL answers true/false, SQLite 1/0. */
export function asBoolean(value: unknown): boolean {
  return value === true || value === 1
}
