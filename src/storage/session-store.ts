import { asRole, type SessionStore } from '../domain/ports.js'
import type { PrismaClient } from './generated/postgresql/client.js'
import { appendAudit, auditRow } from './audit-log.js'
import { isUniqueViolation } from './prisma-errors.js'
import type { RevocationOutbox } from './revocation-log.js'

export function createSessionStore(prisma: PrismaClient, outbox: RevocationOutbox): SessionStore {
  return {
    async start({ session, token, audit }) {
      await prisma.$transaction([
        prisma.session.create({ data: { ...session, lastUsedAt: session.createdAt } }),
        prisma.refreshToken.create({ data: { ...token, sessionId: session.id, createdAt: session.createdAt } }),
        prisma.auditEvent.create({ data: auditRow(audit, session.createdAt) }),
      ])
    },

    async findByRefreshTokenHash(hash) {
      const row = await prisma.refreshToken.findUnique({
        where: { hash },
        select: {
          id: true,
          usedAt: true,
          session: {
            select: {
              id: true,
              userId: true,
              version: true,
              clientId: true,
              scope: true,
              audience: true,
              lastUsedAt: true,
              expiresAt: true,
              revokedAt: true,
              user: { select: { refreshTokenVersion: true, lockedAt: true } },
            },
          },
        },
      })
      if (!row) return null
      const { user, ...session } = row.session
      return { token: { id: row.id, usedAt: row.usedAt }, session, user }
    },

    /*
     * The hot path, as three statements in one batch transaction (no interactive round trips):
     * 1. insert the successor, but only while the presented token is unused and its session live;
     * 2. the compare-and-set: mark the presented token used, only if still unused and the
     *    successor from (1) exists;
     * 3. touch the session's idle clock, under the same condition.
     * Two racing rotations derive the same successor hash, so on PostgreSQL the loser's insert
     * waits for the winner and then fails on the unique hash; on SQLite writers are serialised
     * and the loser's conditions read false. Either way exactly one consumes the token.
     */
    async rotate({ tokenId, sessionId, successor, at }) {
      try {
        const [inserted, consumed] = await prisma.$transaction([
          prisma.$executeRaw`
            INSERT INTO refresh_tokens (id, session_id, hash, created_at)
            SELECT ${successor.id}, ${sessionId}, ${successor.hash}, ${at}
            WHERE EXISTS (
              SELECT 1 FROM refresh_tokens t
              JOIN sessions s ON s.id = t.session_id
              JOIN users u ON u.id = s.user_id
              WHERE t.id = ${tokenId} AND t.used_at IS NULL AND s.id = ${sessionId}
                AND s.revoked_at IS NULL AND u.locked_at IS NULL AND s.version = u.refresh_token_version
            )`,
          prisma.$executeRaw`
            UPDATE refresh_tokens SET used_at = ${at}, successor_id = ${successor.id}
            WHERE id = ${tokenId} AND used_at IS NULL
              AND EXISTS (SELECT 1 FROM refresh_tokens WHERE id = ${successor.id})`,
          prisma.$executeRaw`
            UPDATE sessions SET last_used_at = ${at}
            WHERE id = ${sessionId} AND EXISTS (SELECT 1 FROM refresh_tokens WHERE id = ${successor.id})`,
        ])
        return inserted === 1 && consumed === 1
      } catch (error) {
        if (isUniqueViolation(error)) return false
        throw error
      }
    },

    async revoke({ sessionId, reason, audit, ...timing }) {
      return outbox.transaction(async (tx) => {
        const [session] = await tx.session.updateManyAndReturn({
          where: { id: sessionId, revokedAt: null },
          data: { revokedAt: timing.at, revokeReason: reason },
          select: { userId: true },
        })
        if (!session) return false
        await outbox.append(tx, [{ kind: 'session', userId: session.userId, sessionId, reason }], timing)
        await appendAudit(tx, { ...audit, userId: session.userId, detail: { ...audit.detail, sessionId } }, timing.at)
        return true
      })
    },

    async revokeAllForUser({ userId, reason, audit, ...timing }) {
      const revoked = await outbox.transaction((tx) => outbox.revokeEverySession(tx, { userId, reason, audit, ...timing }))
      if (!revoked) throw new Error(`revokeAllForUser: no user ${userId}`)
      return revoked.version
    },

    async findLiveState(sessionId) {
      const row = await prisma.session.findUnique({
        where: { id: sessionId },
        select: {
          id: true,
          revokedAt: true,
          expiresAt: true,
          user: { select: { id: true, email: true, role: true, refreshTokenVersion: true, lockedAt: true } },
        },
      })
      if (!row) return null
      const { user, ...session } = row
      return { session, user: { ...user, role: asRole(user.role) } }
    },

    async findSummary(sessionId) {
      return prisma.session.findUnique({ where: { id: sessionId }, select: SUMMARY })
    },

    async listOpen({ userId, now }) {
      return prisma.session.findMany({
        where: { userId, revokedAt: null, expiresAt: { gt: now } },
        select: SUMMARY,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      })
    },
  }
}

/** The columns of a SessionSummary: never a token hash. */
const SUMMARY = {
  id: true,
  userId: true,
  version: true,
  clientId: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
  revokedAt: true,
  userAgent: true,
  ip: true,
} as const
