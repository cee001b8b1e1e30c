import { EmailTakenError } from '../domain/errors.js'
import { asRole, type User, type UserStore } from '../domain/ports.js'
import type { Provider } from './connect.js'
import { Prisma, type PrismaClient, type User as UserRow } from './generated/postgresql/client.js'
import { appendAudit, auditRow } from './audit-log.js'
import { asDate, asDateOrNull, sql, type DirectSql } from './direct-sql.js'
import { assertAnUnlockedAdminRemains, lockAdminRows } from './last-admin-guard.js'
import { isUniqueViolation } from './prisma-errors.js'
import type { RevocationOutbox } from './revocation-log.js'

export function createUserStore(prisma: PrismaClient, provider: Provider, outbox: RevocationOutbox, direct: DirectSql): UserStore {
  return {
    async create(user, audit) {
      try {
        await prisma.$transaction([prisma.user.create({ data: user }), prisma.auditEvent.create({ data: auditRow(audit, user.createdAt) })])
      } catch (error) {
        if (isUniqueViolation(error)) throw new EmailTakenError()
        throw error
      }
    },

    // Hot path (every login): on the client's own adapter, see direct-sql.ts.
    async findByEmail(email) {
      const [row] = await direct.query(sql`
        SELECT id, email, password_hash, role, refresh_token_version, locked_at, lock_reason, created_at, updated_at
        FROM users WHERE email = ${email}`)
      if (!row) return null
      return {
        id: String(row.id),
        email: String(row.email),
        passwordHash: String(row.password_hash),
        role: asRole(String(row.role)),
        refreshTokenVersion: Number(row.refresh_token_version),
        lockedAt: asDateOrNull(row.locked_at),
        lockReason: row.lock_reason === null ? null : String(row.lock_reason),
        createdAt: asDate(row.created_at),
        updatedAt: asDate(row.updated_at),
      }
    },

    async findById(id) {
      const row = await prisma.user.findUnique({ where: { id } })
      return row && toUser(row)
    },

    async updatePasswordHash({ userId, passwordHash, at }) {
      await prisma.user.updateMany({ where: { id: userId }, data: { passwordHash, updatedAt: at } })
    },

    async lock({ userId, reason, force = false, audit, ...timing }) {
      return outbox.transaction(async (tx) => {
        await lockAdminRows(tx, provider, userId)
        const before = await tx.user.findUnique({ where: { id: userId } })
        if (!before) return null
        await outbox.revokeEverySession(tx, { userId, reason: 'account_locked', lock: { reason }, audit, ...timing })
        await assertAnUnlockedAdminRemains(tx, toUser(before), force)
        return toUser(await tx.user.findUniqueOrThrow({ where: { id: userId } }))
      })
    },

    async unlock({ userId, audit, ...timing }) {
      return outbox.transaction(async (tx) => {
        const [row] = await tx.user.updateManyAndReturn({
          where: { id: userId },
          data: { lockedAt: null, lockReason: null, updatedAt: timing.at },
        })
        if (!row) return null
        await outbox.append(tx, [{ kind: 'user_enabled', userId, reason: 'account_unlocked' }], timing)
        await appendAudit(tx, audit, timing.at)
        return toUser(row)
      })
    },

    /*
     * The page's ids come from SQL written by hand because Prisma's `contains` passes % and _
     * through as wildcards (and PostgreSQL reads \ as its escape): `LIKE … ESCAPE '\'` with the
     * query escaped matches it literally, and means the same on both databases. Emails are stored
     * lower-cased and the domain lower-cases the query, so the case-sensitive match of PostgreSQL
     * is case-insensitive here (no ILIKE, which SQLite lacks). Keyset: see keyset.ts.
     */
    async list({ emailContains, after, limit }) {
      const conditions: Prisma.Sql[] = []
      if (emailContains) conditions.push(Prisma.sql`email LIKE ${`%${escapeLike(emailContains)}%`} ESCAPE '\\'`)
      if (after) conditions.push(Prisma.sql`(created_at < ${after.createdAt} OR (created_at = ${after.createdAt} AND id < ${after.id}))`)
      const where = conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty
      const page = await prisma.$queryRaw<{ id: string }[]>`SELECT id FROM users ${where} ORDER BY created_at DESC, id DESC LIMIT ${limit}`
      const rows = new Map((await prisma.user.findMany({ where: { id: { in: page.map(({ id }) => id) } } })).map((row) => [row.id, row]))
      return page.flatMap(({ id }) => (rows.has(id) ? [toUser(rows.get(id)!)] : []))
    },

    async setRole({ userId, role, force, audit, at }) {
      return prisma.$transaction(async (tx) => {
        await lockAdminRows(tx, provider, userId)
        const row = await tx.user.findUnique({ where: { id: userId } })
        if (!row) return null
        const before = toUser(row)
        if (before.role === role) return before
        const after = await tx.user.update({ where: { id: userId }, data: { role, updatedAt: at } })
        await assertAnUnlockedAdminRemains(tx, before, force)
        await appendAudit(tx, { ...audit, detail: { ...audit.detail, from: before.role, to: role } }, at)
        return toUser(after)
      })
    },
  }
}

/** Makes %, _ and \ match themselves in a LIKE pattern with ESCAPE '\'. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&')
}

function toUser(row: UserRow): User {
  return { ...row, role: asRole(row.role) }
}
