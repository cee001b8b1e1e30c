import type { Client, ClientStore, ClientType } from '../domain/ports.js'
import { auditRow } from './audit-log.js'
import type { Client as ClientRow, PrismaClient } from './generated/postgresql/client.js'
import { isUniqueViolation } from './prisma-errors.js'

export function createClientStore(prisma: PrismaClient): ClientStore {
  return {
    async create(client, audit, webhook) {
      await prisma.$transaction(async (tx) => {
        await tx.client.create({ data: toRow(client) })
        if (webhook) {
          // From the oldest retained revocation: a new receiver needs the whole current set.
          const { _min, _max } = await tx.revocation.aggregate({ _min: { cursor: true }, _max: { cursor: true } })
          const cursor = _min.cursor == null ? (_max.cursor ?? 0) : _min.cursor - 1
          await tx.feedWebhook.create({ data: { clientId: client.id, url: webhook.url, cursor, nextAttemptAt: client.createdAt, createdAt: client.createdAt } })
        }
        await tx.auditEvent.create({ data: auditRow(audit, client.createdAt) })
      })
    },

    async findById(id) {
      const row = await prisma.client.findUnique({ where: { id } })
      return row && toClient(row)
    },

    // Two replicas starting at once both try the insert; the loser's transaction (row and audit
    // record) rolls back on the primary key.
    async insertIfMissing(client, audit) {
      try {
        await prisma.$transaction([prisma.client.create({ data: toRow(client) }), prisma.auditEvent.create({ data: auditRow(audit, client.createdAt) })])
        return true
      } catch (error) {
        if (isUniqueViolation(error)) return false
        throw error
      }
    },

    // The WHERE on the old values makes it a compare-and-set: of replicas realigning at once, one
    // updates (and audits); the others match no row once it has.
    async realign({ id, from, to, audit, at }) {
      return prisma.$transaction(async (tx) => {
        const { count } = await tx.client.updateMany({ where: { id, scopes: from.scope, audience: from.audience }, data: { scopes: to.scope, audience: to.audience } })
        if (count === 0) return false
        await tx.auditEvent.create({ data: auditRow(audit, at) })
        return true
      })
    },

    async listActiveAudiences() {
      const rows = await prisma.client.findMany({ where: { disabledAt: null }, select: { audience: true }, distinct: ['audience'] })
      return rows.map((row) => row.audience)
    },

    async disable({ clientId, audit, at }) {
      return prisma.$transaction(async (tx) => {
        const { count } = await tx.client.updateMany({ where: { id: clientId, disabledAt: null }, data: { disabledAt: at } })
        if (count === 0) return false
        await tx.auditEvent.create({ data: auditRow(audit, at) })
        return true
      })
    },

    async listAllowedOrigins() {
      const rows = await prisma.client.findMany({ where: { disabledAt: null, allowedOrigins: { not: '[]' } }, select: { allowedOrigins: true } })
      return [...new Set(rows.flatMap((row) => parseOrigins(row.allowedOrigins)))]
    },
  }
}

function toRow(client: Client) {
  const { scope, allowedOrigins, ...rest } = client
  return { ...rest, scopes: scope, allowedOrigins: JSON.stringify(allowedOrigins) }
}

function toClient(row: ClientRow): Client {
  const { scopes, allowedOrigins, type, ...rest } = row
  return { ...rest, type: asClientType(type), scope: scopes, allowedOrigins: parseOrigins(allowedOrigins) }
}

/** A type the code does not know is treated as public: it then has no secret to authenticate with. */
function asClientType(value: string): ClientType {
  return value === 'confidential' ? 'confidential' : 'public'
}

function parseOrigins(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text)
    return Array.isArray(value) ? value.filter((origin): origin is string => typeof origin === 'string') : []
  } catch {
    return []
  }
}
