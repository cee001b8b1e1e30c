import test from 'ava'
import Sqlite from 'better-sqlite3'
import { connect, sqlitePath } from '../../src/storage/connect.js'
import { migrate } from '../../src/storage/migrate.js'
import { takeSqliteWriteLock } from '../../src/storage/sqlite-write-lock.js'
import { freshDatabase } from '../helpers/databases.js'

/**
 * On SQLite a transaction that reads before it writes takes the database's write lock first, so
 * that a writer in another process (the CLI beside the server) makes it wait, instead of failing
 * it with SQLITE_BUSY_SNAPSHOT when it upgrades after reading a snapshot that is no longer current.
 */

test('sqlite: after takeSqliteWriteLock, another connection cannot write until the transaction ends', async (t) => {
  const database = await freshDatabase('sqlite')
  const db = connect(database.url)
  t.teardown(async () => {
    await db.close()
    await database.drop()
  })
  await migrate(db)
  // Another process's connection, which waits for nobody (busy timeout 0): it fails at once if the lock is held.
  const other = new Sqlite(sqlitePath(database.url), { timeout: 0 })
  t.teardown(() => other.close())
  /** The error code of a write by the other connection, or 'ok'. */
  const write = () => {
    try {
      other.prepare('UPDATE users SET id = id WHERE 0').run()
      return 'ok'
    } catch (error) {
      return (error as { code?: string }).code
    }
  }

  await db.prisma.$transaction(async (tx) => {
    t.is(write(), 'ok', 'a plain transaction holds no lock before its first write')
    await takeSqliteWriteLock(tx, 'sqlite')
    t.is(write(), 'SQLITE_BUSY', 'it holds the write lock from here on, before anything is read')
    await tx.user.count()
  })
  t.is(write(), 'ok', 'and releases it at commit')
})
