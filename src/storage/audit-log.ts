import type { AuditEntry, AuditRecord, AuditStore } from '../domain/ports.js'
import { sql, type DirectSql, type SqlStatement } from './direct-sql.js'
import type { AuditEvent, Prisma, PrismaClient } from './generated/postgresql/client.js'
import { NEWEST_FIRST, olderThan } from './keyset.js'

type Writer = Prisma.TransactionClient | PrismaClient

/** Appends one audit event; stores call it inside the transaction of the change it records. */
export async function appendAudit(db: Writer, record: AuditRecord, at: Date): Promise<void> {
  await db.auditEvent.create({ data: auditRow(record, at) })
}

export function auditRow(record: AuditRecord, at: Date) {
  return {
    type: record.type,
    actorId: record.context.actorId,
    userId: record.userId,
    ip: record.context.ip,
    userAgent: record.context.userAgent,
    detail: record.detail ? JSON.stringify(record.detail) : null,
    createdAt: at,
  }
}

/**
 * The same row as auditRow(), as one statement for the writes of direct-sql.ts (a login's
 * session start, a failed login), so it joins their transaction.
 */
export function auditInsert(record: AuditRecord, at: Date): SqlStatement {
  const row = auditRow(record, at)
  return sql`
    INSERT INTO audit_events (type, actor_id, user_id, ip, user_agent, detail, created_at)
    VALUES (${row.type}, ${row.actorId}, ${row.userId}, ${row.ip}, ${row.userAgent}, ${row.detail}, ${row.createdAt})`
}

export function createAuditStore(prisma: PrismaClient, direct: DirectSql): AuditStore {
  return {
    // Hot under a credential-stuffing flood (every failed login appends one): direct-sql.ts.
    async append({ at, ...record }) {
      await direct.write([auditInsert(record, at)])
    },

    // Served by the (user_id, created_at) and (type, created_at) indexes when filtered.
    async list({ userId, type, after, limit }) {
      const rows = await prisma.auditEvent.findMany({
        where: { AND: [userId ? { userId } : {}, type ? { type } : {}, olderThan(after)] },
        orderBy: NEWEST_FIRST,
        take: limit,
      })
      return rows.map(toEntry)
    },
  }
}

function toEntry({ detail, ...row }: AuditEvent): AuditEntry {
  return { ...row, detail: parseDetail(detail) }
}

/** Always an object. Detail is written by Latch as JSON; should a row hold anything else, show it raw rather than fail the listing. */
function parseDetail(text: string | null): Record<string, unknown> {
  if (text === null) return {}
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>
  } catch {
    // fall through
  }
  return { raw: text }
}
