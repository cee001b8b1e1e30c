import type { AuditRecord, AuditStore } from '../domain/ports.js'
import type { Prisma, PrismaClient } from './generated/postgresql/client.js'

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

export function createAuditStore(prisma: PrismaClient): AuditStore {
  return {
    async append({ at, ...record }) {
      await appendAudit(prisma, record, at)
    },
  }
}
