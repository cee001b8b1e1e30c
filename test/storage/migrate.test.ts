import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test, { type ExecutionContext } from 'ava'
import { connect, type Provider } from '../../src/storage/connect.js'
import { migrate, migrationsDirFor } from '../../src/storage/migrate.js'
import { freshDatabase, PROVIDERS } from '../helpers/databases.js'

/** The committed migrations of a provider, oldest first, with the checksum Prisma records. */
function committedMigrations(provider: Provider): { name: string; checksum: string }[] {
  const dir = migrationsDirFor(provider)
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({
      name,
      checksum: createHash('sha256').update(readFileSync(join(dir, name, 'migration.sql'))).digest('hex'),
    }))
}

interface MigrationRow {
  migration_name: string
  checksum: string
  finished_at: Date | null
  rolled_back_at: Date | null
}

async function migratesFromScratch(t: ExecutionContext, provider: Provider, url: string): Promise<void> {
  const expected = committedMigrations(provider)
  t.true(expected.length > 0, 'there is at least the init migration')
  const database = connect(url)
  try {
    t.is(database.provider, provider)
    t.deepEqual(await migrate(database), { applied: expected.map((m) => m.name) })

    // Every model's table exists and is empty.
    const { prisma } = database
    t.deepEqual(
      await Promise.all([prisma.user.count(), prisma.session.count(), prisma.refreshToken.count(), prisma.revocation.count()]),
      [0, 0, 0, 0],
    )

    t.deepEqual(await migrate(database), { applied: [] }, 'a second call applies nothing')

    const rows = await prisma.$queryRawUnsafe<MigrationRow[]>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY migration_name',
    )
    t.deepEqual(
      rows.map((row) => ({ name: row.migration_name, checksum: row.checksum })),
      expected,
      'one row per migration, checksum = sha256(migration.sql) as the Prisma CLI computes it',
    )
    for (const row of rows) {
      t.true(row.finished_at instanceof Date, `${row.migration_name} is finished`)
      t.is(row.rolled_back_at, null)
    }
  } finally {
    await database.close()
  }
}

test('both providers have the same migration history', (t) => {
  const names = (provider: Provider) => committedMigrations(provider).map((m) => m.name)
  t.deepEqual(names('sqlite'), names('postgresql'))
})

test('connect refuses a URL of an unknown kind', (t) => {
  t.throws(() => connect('mysql://root@localhost/latch'), { message: /Unsupported database URL/ })
})

test('migrate creates the schema of a fresh SQLite file, once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'latch-migrate-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // A missing parent directory is created by connect().
  await migratesFromScratch(t, 'sqlite', `file:${join(dir, 'nested', 'latch.db')}`)
})

if (PROVIDERS.includes('postgresql')) {
  const freshSchemaUrl = async (t: ExecutionContext) => {
    const database = await freshDatabase('postgresql')
    t.teardown(() => database.drop())
    return database.url
  }

  test('migrate creates a missing PostgreSQL schema and migrates it, once', async (t) => {
    await migratesFromScratch(t, 'postgresql', await freshSchemaUrl(t))
  })

  test('concurrent migrate calls on PostgreSQL apply each migration exactly once', async (t) => {
    const url = await freshSchemaUrl(t)
    const databases = [connect(url), connect(url), connect(url), connect(url)]
    try {
      const results = await Promise.all(databases.map((database) => migrate(database)))
      const applied = results.flatMap((result) => result.applied)
      t.deepEqual(applied, committedMigrations('postgresql').map((m) => m.name))
    } finally {
      await Promise.all(databases.map((database) => database.close()))
    }
  })
}
