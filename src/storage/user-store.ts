import { EmailTakenError } from '../domain/errors.js'
import { asRole, type User, type UserStore } from '../domain/ports.js'
import type { PrismaClient, User as UserRow } from './generated/postgresql/client.js'
import { appendAudit, auditRow } from './audit-log.js'
import { isUniqueViolation } from './prisma-errors.js'
import { appendRevocations, revokeEverySession } from './revocation-log.js'

export function createUserStore(prisma: PrismaClient): UserStore {
  return {
    async create(user, audit) {
      try {
        await prisma.$transaction([prisma.user.create({ data: user }), prisma.auditEvent.create({ data: auditRow(audit, user.createdAt) })])
      } catch (error) {
        if (isUniqueViolation(error)) throw new EmailTakenError()
        throw error
      }
    },

    async findByEmail(email) {
      const row = await prisma.user.findUnique({ where: { email } })
      return row && toUser(row)
    },

    async findById(id) {
      const row = await prisma.user.findUnique({ where: { id } })
      return row && toUser(row)
    },

    async updatePasswordHash({ userId, passwordHash, at }) {
      await prisma.user.updateMany({ where: { id: userId }, data: { passwordHash, updatedAt: at } })
    },

    async lock({ userId, reason, audit, ...timing }) {
      return prisma.$transaction(async (tx) => {
        const revoked = await revokeEverySession(tx, { userId, reason: 'account_locked', lock: { reason }, audit, ...timing })
        if (!revoked) return null
        return toUser(await tx.user.findUniqueOrThrow({ where: { id: userId } }))
      })
    },

    async unlock({ userId, audit, ...timing }) {
      return prisma.$transaction(async (tx) => {
        const [row] = await tx.user.updateManyAndReturn({
          where: { id: userId },
          data: { lockedAt: null, lockReason: null, updatedAt: timing.at },
        })
        if (!row) return null
        await appendRevocations(tx, [{ kind: 'user_enabled', userId, reason: 'account_unlocked' }], timing)
        await appendAudit(tx, audit, timing.at)
        return toUser(row)
      })
    },
  }
}

function toUser(row: UserRow): User {
  return { ...row, role: asRole(row.role) }
}
