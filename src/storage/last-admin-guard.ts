import { LastAdminError } from '../domain/errors.js'
import type { User } from '../domain/ports.js'
import type { Provider } from './connect.js'
import type { Prisma } from './generated/postgresql/client.js'
import { takeSqliteWriteLock } from './sqlite-write-lock.js'

type Transaction = Prisma.TransactionClient

/**
 * The storage half of the last-admin guard, for changes that can take an admin away (lock,
 * demotion). Call `lockAdminRows` first in the transaction, then read the target, make the
 * change, and call `assertAnUnlockedAdminRemains` before committing.
 *
 * Why the lock: under PostgreSQL's READ COMMITTED two transactions demoting two different admins
 * would each still see the other as an admin and both commit, leaving none. Locking every unlocked
 * admin row (and the target) up front, in id order so two guards never deadlock, makes the second
 * wait for the first; when it resumes, PostgreSQL re-checks the WHERE against the committed rows,
 * so it counts what the first left behind. NO KEY UPDATE is the lock an UPDATE of these columns
 * takes anyway; unlike FOR UPDATE it lets logins go on inserting sessions that reference the rows
 * (a foreign key only needs KEY SHARE). SQLite has no row locks: there the transaction takes the
 * database's write lock before it reads anything, so another process's writer waits or is waited for.
 */
export async function lockAdminRows(tx: Transaction, provider: Provider, userId: string): Promise<void> {
  if (provider !== 'postgresql') return takeSqliteWriteLock(tx, provider)
  await tx.$queryRaw`
    SELECT id FROM users
    WHERE (role = 'admin' AND locked_at IS NULL) OR id = ${userId}
    ORDER BY id
    FOR NO KEY UPDATE`
}

/**
 * Throws LastAdminError, rolling the transaction back, when `before` was an unlocked admin and,
 * after the change, no unlocked admin is left. A server that already had none is not made worse.
 */
export async function assertAnUnlockedAdminRemains(tx: Transaction, before: User, force: boolean): Promise<void> {
  if (force || before.role !== 'admin' || before.lockedAt !== null) return
  const remaining = await tx.user.count({ where: { role: 'admin', lockedAt: null } })
  if (remaining === 0) throw new LastAdminError(`user ${before.id} is the last unlocked admin`)
}
