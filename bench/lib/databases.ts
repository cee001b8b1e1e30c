import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { runDir } from './child.js'

export type Provider = 'sqlite' | 'postgresql'

export const PROVIDER_LABEL: Record<Provider, string> = { sqlite: 'SQLite', postgresql: 'PostgreSQL' }

/** The same server the test suite uses; each run works in a schema of its own and drops it. */
export const POSTGRES_URL =
  process.env.LATCH_BENCH_POSTGRES_URL ?? process.env.LATCH_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'

export interface BenchDatabase {
  provider: Provider
  /** A DATABASE_URL as Latch reads it. */
  url: string
  drop(): Promise<void>
}

/** A brand-new, empty database: a temporary SQLite file, or a fresh PostgreSQL schema. */
export async function freshDatabase(provider: Provider): Promise<BenchDatabase> {
  if (provider === 'sqlite') {
    const directory = mkdtempSync(join(runDir(), 'sqlite-'))
    return { provider, url: `file:${join(directory, 'latch.db')}`, drop: async () => rmSync(directory, { recursive: true, force: true }) }
  }
  const schema = `latch_bench_${randomBytes(6).toString('hex')}`
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

/**
 * The databases this run measures. As in the test suite, an unreachable PostgreSQL halves the run
 * with a warning, except under CI=true, where it fails the run.
 */
export async function availableProviders(warn: (message: string) => void): Promise<Provider[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return ['sqlite', 'postgresql']
  } catch (error) {
    const problem = `PostgreSQL at ${POSTGRES_URL} is unreachable: ${(error as Error).message}`
    if (process.env.CI === 'true') throw new Error(`${problem} (required under CI=true)`)
    warn(`${problem}; measuring SQLite only`)
    return ['sqlite']
  } finally {
    await client.end().catch(() => {})
  }
}
