import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type {
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils'
import type { Database } from './connect.js'
import { migrationAware, noFilters, pgWholeScripts, readMigrationsList, withSchemaEngine } from './schema-engine.js'

/** The package root: the nearest ancestor holding the package.json named "latch" (src/ or dist/). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'latch') {
      return dir
    }
    if (dirname(dir) === dir) throw new Error(`No package.json named "latch" above ${from}`)
  }
}

export function migrationsDirFor(provider: Database['provider']): string {
  return join(packageRoot(), 'prisma', 'migrations', provider)
}

/**
 * Applies the pending migrations of prisma/migrations/<provider>, recording them in
 * _prisma_migrations exactly as `prisma migrate deploy` would. Idempotent, so it runs at every
 * start; on PostgreSQL concurrent callers are serialized by an advisory lock.
 */
export async function migrate(
  database: Database,
  options: { migrationsDir?: string } = {},
): Promise<{ applied: string[] }> {
  const migrationsDir = options.migrationsDir ?? migrationsDirFor(database.provider)
  if (!existsSync(join(migrationsDir, 'migration_lock.toml'))) {
    throw new Error(`No migrations for ${database.provider}: ${migrationsDir}/migration_lock.toml is missing`)
  }
  const migrationsList = await readMigrationsList(migrationsDir)
  const run = async () => {
    const { factory, dispose } = tracked(migrationAware(database.adapterFactory))
    try {
      const { appliedMigrationNames } = await withSchemaEngine(factory, (engine) =>
        engine.applyMigrations({ migrationsList, filters: noFilters }),
      )
      return { applied: appliedMigrationNames }
    } finally {
      // The engine never disposes its main connection, and on PostgreSQL that connection holds the
      // engine's own session advisory lock: end it before anyone else may migrate.
      await dispose()
    }
  }
  return database.provider === 'postgresql' ? withPgMigrationLock(database.adapterFactory, run) : run()
}

/** Records every adapter the factory hands out so that all of them can be closed afterwards. */
function tracked(factory: SqlMigrationAwareDriverAdapterFactory) {
  const adapters: SqlDriverAdapter[] = []
  const keep = (adapter: SqlDriverAdapter) => (adapters.push(adapter), pgWholeScripts(adapter))
  return {
    factory: {
      provider: factory.provider,
      adapterName: factory.adapterName,
      connect: async () => keep(await factory.connect()),
      connectToShadowDb: async () => keep(await factory.connectToShadowDb()),
    } satisfies SqlMigrationAwareDriverAdapterFactory,
    dispose: () => Promise.all(adapters.map((adapter) => adapter.dispose())),
  }
}

/**
 * The engine's own lock (pg_advisory_lock(72707369)) is taken on an arbitrary connection of a pool
 * and gives up after a timeout, so serialize whole engine sessions with a transaction-scoped lock
 * held on one dedicated connection. The engine creates a missing ?schema= itself (a plain CREATE
 * SCHEMA, before its own lock), which is safe only because of this one.
 */
async function withPgMigrationLock<T>(factory: SqlDriverAdapterFactory, run: () => Promise<T>): Promise<T> {
  const adapter = await factory.connect()
  const sql = (text: string) => ({ sql: text, args: [], argTypes: [] })
  try {
    const tx = await adapter.startTransaction()
    // Driver adapters leave BEGIN/COMMIT/ROLLBACK to their caller unless usePhantomQuery is set.
    const end = async () => {
      if (!tx.options.usePhantomQuery) await tx.executeRaw(sql('ROLLBACK'))
      await tx.rollback()
    }
    try {
      // executeRaw: queryRaw would reject the void result column.
      await tx.executeRaw(sql(`SELECT pg_advisory_xact_lock(hashtext('latch:migrate'))`))
      return await run()
    } finally {
      await end()
    }
  } finally {
    await adapter.dispose()
  }
}
