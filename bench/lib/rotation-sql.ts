import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './child.js'

/**
 * The SQL of the refresh floor, read at run time from src/storage/session-store.ts: the statement
 * of findByRefreshTokenHash and those of rotate() for the driver's database (written with the
 * `sql`, `sqliteSql` and `postgresSql` tags of src/storage/direct-sql.ts). The floor therefore
 * always runs exactly Latch's statements, in the same transactions: the lookup on its own, then
 * the rotation as one write (one statement alone, several in BEGIN … COMMIT). When either method
 * changes shape (say, a Prisma model call joins it, or it interpolates a value this file does not
 * know) this throws, and the benchmark (and `npm run bench:smoke` in CI) fails until this file is
 * brought up to date.
 */

const SESSION_STORE = join(REPO_ROOT, 'src', 'storage', 'session-store.ts')

/** The values the statements interpolate, by the expression they write in their templates. */
export interface RotationValues {
  hash: string
  tokenId: string
  sessionId: string
  'successor.id': string
  'successor.hash': string
  /** Bound as the driver-specific text Prisma stores for a DateTime. */
  at: string
}

export interface Statement {
  /** SQL with the driver's placeholders (`?` for better-sqlite3, `$n` for pg). */
  sql: string
  /** Builds the positional parameters. */
  params: (values: RotationValues) => string[]
}

type Driver = 'sqlite' | 'pg'

/** The tags whose statements the driver's database runs. */
const TAGS: Record<Driver, string[]> = { sqlite: ['sql', 'sqliteSql'], pg: ['sql', 'postgresSql'] }

/** The lookup of findByRefreshTokenHash: one join of token, session and user. Its rows name the session `session_id`. */
export function lookupStatement(driver: Driver): Statement {
  const statements = statementsOf('findByRefreshTokenHash', driver)
  if (statements.length !== 1) throw new Error(`bench: findByRefreshTokenHash() now runs ${statements.length} statements; update bench/lib/rotation-sql.ts`)
  return statements[0]!
}

/** rotate()'s statements for this database, which Latch runs as one atomic write. */
export function rotateStatements(driver: Driver): Statement[] {
  const statements = statementsOf('rotate', driver)
  if (statements.length === 0) throw new Error('bench: rotate() has no statements for this database any more; update bench/lib/rotation-sql.ts')
  return statements
}

function statementsOf(method: string, driver: Driver): Statement[] {
  const source = readFileSync(SESSION_STORE, 'utf8')
  const start = source.indexOf(`async ${method}(`)
  if (start < 0) throw new Error(`bench: no ${method}() in ${SESSION_STORE}; update bench/lib/rotation-sql.ts`)
  const next = source.indexOf('\n    async ', start + 1)
  const body = source.slice(start, next < 0 ? undefined : next)

  const others = [...new Set(body.match(/prisma\.[\w$]+/g) ?? [])]
  if (others.length > 0) {
    throw new Error(`bench: ${method}() now also calls ${others.join(', ')}, which the raw-driver floor does not mirror; update bench/lib/rotation-sql.ts`)
  }
  const calls = [...new Set(body.match(/direct\.(?:query|write)\b/g) ?? [])]
  const expected = method === 'rotate' ? 'direct.write' : 'direct.query'
  if (calls.length !== 1 || calls[0] !== expected) {
    throw new Error(`bench: ${method}() calls ${calls.join(', ') || 'nothing'} rather than ${expected} alone; update bench/lib/rotation-sql.ts`)
  }
  return [...body.matchAll(/\b(sql|sqliteSql|postgresSql)`([^`]*)`/g)].filter((match) => TAGS[driver].includes(match[1]!)).map((match) => toStatement(match[2]!, driver))
}

function toStatement(template: string, driver: Driver): Statement {
  const parts = template.split(/\$\{\s*([^}]+?)\s*\}/)
  const names: (keyof RotationValues)[] = []
  let sql = ''
  parts.forEach((part, index) => {
    if (index % 2 === 0) return void (sql += part)
    if (!isRotationValue(part)) {
      throw new Error(`bench: session-store.ts interpolates \${${part}}, which the raw-driver floor does not know; update bench/lib/rotation-sql.ts`)
    }
    names.push(part)
    sql += driver === 'sqlite' ? '?' : `$${names.length}`
  })
  return { sql: sql.replace(/\s+/g, ' ').trim(), params: (values) => names.map((name) => values[name]) }
}

const KNOWN = new Set(['hash', 'tokenId', 'sessionId', 'successor.id', 'successor.hash', 'at'])
function isRotationValue(name: string): name is keyof RotationValues {
  return KNOWN.has(name)
}
