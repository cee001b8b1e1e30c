import type { FeedWebhookStore } from '../domain/ports.js'
import type { PrismaClient } from './generated/postgresql/client.js'

/**
 * Webhook delivery state. Every write is conditional on the lease, so a replica whose lease
 * lapsed (a long pause, a lost connection) cannot move a cursor another replica now owns.
 */
export function createFeedWebhookStore(prisma: PrismaClient): FeedWebhookStore {
  return {
    // One conditional UPDATE per claim: on PostgreSQL a row another replica is claiming at the
    // same moment is re-checked after its lock is released, so exactly one replica gets it.
    async claimDue({ owner, now, leaseUntil }) {
      return prisma.feedWebhook.updateManyAndReturn({
        where: {
          nextAttemptAt: { lte: now },
          OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }],
          client: { disabledAt: null },
        },
        data: { leaseOwner: owner, leaseUntil },
        select: { clientId: true, url: true, cursor: true, failures: true },
      })
    },

    async acknowledge({ clientId, owner, cursor }) {
      const { count } = await prisma.feedWebhook.updateMany({
        where: { clientId, leaseOwner: owner },
        data: { cursor, failures: 0, lastError: null },
      })
      return count === 1
    },

    async fail({ clientId, owner, error, nextAttemptAt }) {
      await prisma.feedWebhook.updateMany({
        where: { clientId, leaseOwner: owner },
        data: { failures: { increment: 1 }, lastError: error.slice(0, 500), nextAttemptAt, leaseOwner: null, leaseUntil: null },
      })
    },

    async release({ clientId, owner }) {
      await prisma.feedWebhook.updateMany({ where: { clientId, leaseOwner: owner }, data: { leaseOwner: null, leaseUntil: null } })
    },
  }
}
