import type { RevocationFeedStore, RevocationKind, RevocationRecord } from '../domain/ports.js'
import type { PrismaClient, Revocation } from './generated/postgresql/client.js'

/**
 * Reads go through a (batch) transaction on purpose: Prisma's SQLite adapter runs every query on
 * one connection, so a plain read issued while a revocation transaction is still open would see
 * its uncommitted rows, and the feed could publish an entry that then rolls back. A transaction
 * waits for the adapter's lock, that is, for the open one to commit. On PostgreSQL it costs a
 * BEGIN and a COMMIT, a few times a second at most.
 */
export function createRevocationFeedStore(prisma: PrismaClient): RevocationFeedStore {
  return {
    async readAfter(after, limit) {
      const [rows] = await prisma.$transaction([prisma.revocation.findMany({ where: { cursor: { gt: after } }, orderBy: { cursor: 'asc' }, take: limit })])
      return rows.map(toRecord)
    },

    async bounds() {
      const [bounds] = await prisma.$transaction([prisma.revocation.aggregate({ _min: { cursor: true }, _max: { cursor: true } })])
      return { oldest: bounds._min.cursor, latest: bounds._max.cursor ?? 0 }
    },

    /*
     * Only a prefix goes, so the retained log is every entry from `oldest` on, and a reader whose
     * cursor is below oldest - 1 knows it missed some. Entries expire at most one access-token
     * lifetime after they are written, so an expired entry behind a live one waits at most that
     * long. The latest entry always stays: it carries the latest cursor.
     */
    async prune(now) {
      const [firstAlive, bounds] = await prisma.$transaction([
        prisma.revocation.findFirst({ where: { expiresAt: { gt: now } }, orderBy: { cursor: 'asc' }, select: { cursor: true } }),
        prisma.revocation.aggregate({ _max: { cursor: true } }),
      ])
      const keepFrom = firstAlive?.cursor ?? bounds._max.cursor
      if (keepFrom == null) return 0
      const { count } = await prisma.revocation.deleteMany({ where: { cursor: { lt: keepFrom } } })
      return count
    },
  }
}

function toRecord(row: Revocation): RevocationRecord {
  return { ...row, kind: row.kind as RevocationKind }
}
