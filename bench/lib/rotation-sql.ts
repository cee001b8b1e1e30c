import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './child.js'

/**
 * The SQL of the refresh floor. The rotation statements are read from rotate() in
 * src/storage/session-store.ts at run time, so the floor always runs exactly Latch's statements;
 * when rotate() changes shape (say, a Prisma model call joins the transaction) this throws, and
 * the benchmark (and `npm run bench:smoke` in CI) fails until this file is brought up to date.
 */

const SESSION_STORE = join(REPO_ROOT, 'src', 'storage', 'session-store.ts')

/** The values rotate() interpolates, by the expression it writes in its template. */
export interface RotationValues {
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

/**
 * The lookup of findByRefreshTokenHash. Prisma issues it as three queries (token, then session,
 * then user); a raw-driver program would write one join, which is the floor. `s.*` reads every
 * session column, at least what Latch selects however its select list grows.
 */
export function lookupStatement(driver: 'sqlite' | 'pg'): string {
  return (
    'SELECT t.id AS token_id, t.used_at, s.*, u.refresh_token_version, u.locked_at ' +
    'FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id ' +
    `WHERE t.hash = ${driver === 'sqlite' ? '?' : '$1'}`
  )
}

export function rotateStatements(driver: 'sqlite' | 'pg'): Statement[] {
  const source = readFileSync(SESSION_STORE, 'utf8')
  const start = source.indexOf('async rotate(')
  if (start < 0) throw new Error(`bench: no rotate() in ${SESSION_STORE}; update bench/lib/rotation-sql.ts`)
  const next = source.indexOf('\n    async ', start + 1)
  const body = source.slice(start, next < 0 ? undefined : next)

  const others = [...new Set(body.match(/prisma\.(?!\$transaction\b|\$executeRaw\b)[\w$]+/g) ?? [])]
  if (others.length > 0) {
    throw new Error(`bench: rotate() now also calls ${others.join(', ')}, which the raw-driver floor does not mirror; update bench/lib/rotation-sql.ts`)
  }
  const templates = [...body.matchAll(/\$executeRaw`([^`]*)`/g)].map((match) => match[1]!)
  if (templates.length === 0) throw new Error('bench: rotate() has no $executeRaw statements any more; update bench/lib/rotation-sql.ts')
  return templates.map((template) => toStatement(template, driver))
}

function toStatement(template: string, driver: 'sqlite' | 'pg'): Statement {
  const parts = template.split(/\$\{\s*([^}]+?)\s*\}/)
  const names: (keyof RotationValues)[] = []
  let sql = ''
  parts.forEach((part, index) => {
    if (index % 2 === 0) return void (sql += part)
    if (!isRotationValue(part)) {
      throw new Error(`bench: rotate() interpolates \${${part}}, which the raw-driver floor does not know; update bench/lib/rotation-sql.ts`)
    }
    names.push(part)
    sql += driver === 'sqlite' ? '?' : `$${names.length}`
  })
  return { sql: sql.replace(/\s+/g, ' ').trim(), params: (values) => names.map((name) => values[name]) }
}

const KNOWN = new Set(['tokenId', 'sessionId', 'successor.id', 'successor.hash', 'at'])
function isRotationValue(name: string): name is keyof RotationValues {
  return KNOWN.has(name)
}
