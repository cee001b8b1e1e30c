import type { Provider } from './connect.js'
import type { Prisma } from './generated/postgresql/client.js'

/**
 * SQLite begins a transaction as a reader and upgrades it to a writer at its first write. If
 * another process (an operator's `latch` command next to the running server) committed in
 * between, the upgrade fails at once with SQLITE_BUSY_SNAPSHOT: the busy timeout cannot help, as
 * the snapshot already read is stale. A transaction that reads before it writes therefore calls
 * this first: a write that changes nothing takes the database's write lock at the transaction's
 * start, waiting for another writer as long as the busy timeout allows, and what it then reads
 * stays current until it commits. (Prisma's adapter offers no BEGIN IMMEDIATE, which would say
 * the same.) PostgreSQL needs nothing of the kind.
 */
export async function takeSqliteWriteLock(tx: Prisma.TransactionClient, provider: Provider): Promise<void> {
  if (provider === 'sqlite') await tx.$executeRaw`UPDATE users SET id = id WHERE 0`
}
