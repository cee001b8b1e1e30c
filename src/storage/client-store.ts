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

    /*
     * Insert-or-align without a read-then-write race: two replicas starting at once both try the
     * insert; the loser's transaction (row and audit record) rolls back on the primary key, and it
     * aligns the fields like any later start does. The update writes only when something differs.
     */
    async ensure(client, audit) {
      try {
        await prisma.$transaction([prisma.client.create({ data: toRow(client) }), prisma.auditEvent.create({ data: auditRow(audit, client.createdAt) })])
        return
      } catch (error) {
        if (!isUniqueViolation(error)) throw error
      }
      const { type, scopes, audience } = toRow(client)
      await prisma.client.updateMany({
        where: { id: client.id, OR: [{ type: { not: type } }, { scopes: { not: scopes } }, { audience: { not: audience } }] },
        data: { type, scopes, audience },
      })
    },

    async listActiveAudiences() {
      const rows = await prisma.client.findMany({ where: { disabledAt: null }, select: { audience: true }, distinct: ['audience'] })
      return rows.map((row) => row.audience)
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
