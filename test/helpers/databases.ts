import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

export type Provider = 'sqlite' | 'postgresql'

/** The PostgreSQL server the suite uses; each run works in schemas of its own and drops them. */
export const POSTGRES_URL = process.env.LATCH_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'

async function postgresReachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 10_000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return null
  } catch (error) {
    return (error as Error).message
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * The databases every behaviour is checked on. Under CI=true PostgreSQL is required: an
 * unreachable server fails the run loudly instead of silently halving it.
 */
async function providersForThisRun(): Promise<Provider[]> {
  const problem = await postgresReachable()
  if (problem === null) return ['sqlite', 'postgresql']
  if (process.env.CI === 'true') {
    throw new Error(`PostgreSQL is required under CI=true but ${POSTGRES_URL} is unreachable: ${problem}`)
  }
  process.stderr.write(`\n[latch tests] PostgreSQL unreachable (${problem}); running the SQLite half only.\n`)
  return ['sqlite']
}

export const PROVIDERS: Provider[] = await providersForThisRun()

export interface TestDatabase {
  provider: Provider
  url: string
  drop(): Promise<void>
}

/** A brand-new, empty database: a temporary SQLite file, or a fresh PostgreSQL schema. */
export async function freshDatabase(provider: Provider): Promise<TestDatabase> {
  if (provider === 'sqlite') {
    const directory = mkdtempSync(join(tmpdir(), 'latch-test-'))
    return {
      provider,
      url: `file:${join(directory, 'latch.db')}`,
      drop: async () => rmSync(directory, { recursive: true, force: true }),
    }
  }
  const schema = `latch_test_${randomBytes(6).toString('hex')}`
  const url = new URL(POSTGRES_URL)
  url.searchParams.set('schema', schema)
  return {
    provider,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL })
      await client.connect()
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      } finally {
        await client.end()
      }
    },
  }
}
