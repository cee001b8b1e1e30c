import { EmailTakenError } from '../domain/errors.js'
import { asRole, type User, type UserStore } from '../domain/ports.js'
import type { PrismaClient, User as UserRow } from './generated/postgresql/client.js'
import { isUniqueViolation } from './prisma-errors.js'
import { appendRevocations, revokeEverySession } from './revocation-log.js'

export function createUserStore(prisma: PrismaClient): UserStore {
  return {
    async create(user) {
      try {
        await prisma.user.create({ data: user })
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

    async lock({ userId, reason, ...timing }) {
      return prisma.$transaction(async (tx) => {
        const revoked = await revokeEverySession(tx, { userId, reason: 'account_locked', lock: { reason }, ...timing })
        if (!revoked) return null
        return toUser(await tx.user.findUniqueOrThrow({ where: { id: userId } }))
      })
    },

    async unlock({ userId, ...timing }) {
      return prisma.$transaction(async (tx) => {
        const [row] = await tx.user.updateManyAndReturn({
          where: { id: userId },
          data: { lockedAt: null, lockReason: null, updatedAt: timing.at },
        })
        if (!row) return null
        await appendRevocations(tx, [{ kind: 'user_enabled', userId, reason: 'account_unlocked' }], timing)
        return toUser(row)
      })
    },
  }
}

function toUser(row: UserRow): User {
  return { ...row, role: asRole(row.role) }
}
