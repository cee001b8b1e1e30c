import type { AuditRecord, RevocationKind, RevocationTiming, SessionRevokeReason } from '../domain/ports.js'
import { appendAudit } from './audit-log.js'
import type { Provider } from './connect.js'
import type { Prisma, PrismaClient } from './generated/postgresql/client.js'

type Transaction = Prisma.TransactionClient

export interface RevocationEntry {
  kind: RevocationKind
  userId: string
  sessionId?: string
  minVersion?: number
  jti?: string
  reason: string
}

/**
 * The revocation outbox: every revocation is appended in the transaction of the state change it
 * records, and the event feed is woken once that transaction has committed.
 *
 * Cursors must grow in commit order, or a feed reader that has moved past cursor 11 would never
 * see cursor 10 committing after it. SQLite has one writer at a time, so that holds by itself. On
 * PostgreSQL a sequence hands out values at insert time, not at commit, so appends take a
 * transaction-scoped advisory lock first: it is held from the insert until commit, and the next
 * transaction's cursor is drawn only after this one's is visible. Revocations are rare (logouts,
 * locks, reuse), so serialising them costs nothing that matters; the refresh hot path never
 * writes here. PostgreSQL's NOTIFY, sent in the same transaction, is delivered at commit to every
 * replica listening (see revocation-signal.ts).
 */
export class RevocationOutbox {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly provider: Provider,
    /** The NOTIFY channel of this database (and schema) on PostgreSQL. */
    private readonly channel: string,
    /** Called after each revocation transaction commits: wakes this process's feed at once. */
    private readonly committed: () => void,
  ) {}

  /** Runs `work` in one transaction; the feed is woken once it has committed. */
  async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const result = await this.prisma.$transaction(work)
    this.committed()
    return result
  }

  /** Appends entries; call only inside `transaction`. */
  async append(tx: Transaction, entries: RevocationEntry[], timing: RevocationTiming): Promise<void> {
    const postgres = this.provider === 'postgresql'
    if (postgres) await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('latch:revocations'))`
    await tx.revocation.createMany({
      data: entries.map((entry) => ({ ...entry, createdAt: timing.at, expiresAt: timing.feedExpiresAt })),
    })
    if (postgres) await tx.$executeRaw`SELECT pg_notify(${this.channel}, '')`
  }

  /**
   * Bumps the user's refreshTokenVersion and revokes all their open sessions: the shared heart of
   * logout-all and lockout. Returns the new version, or null when the user does not exist.
   */
  async revokeEverySession(
    tx: Transaction,
    input: { userId: string; reason: SessionRevokeReason; lock?: { reason: string } | null; audit: AuditRecord } & RevocationTiming,
  ): Promise<{ version: number } | null> {
    const bumped = await tx.user.updateManyAndReturn({
      where: { id: input.userId },
      data: {
        refreshTokenVersion: { increment: 1 },
        updatedAt: input.at,
        ...(input.lock ? { lockedAt: input.at, lockReason: input.lock.reason } : {}),
      },
      select: { refreshTokenVersion: true },
    })
    const version = bumped[0]?.refreshTokenVersion
    if (version === undefined) return null
    await tx.session.updateMany({
      where: { userId: input.userId, revokedAt: null },
      data: { revokedAt: input.at, revokeReason: input.reason },
    })
    const entries: RevocationEntry[] = [{ kind: 'user_version', userId: input.userId, minVersion: version, reason: input.reason }]
    if (input.lock) entries.push({ kind: 'user_disabled', userId: input.userId, reason: input.reason })
    await this.append(tx, entries, input)
    await appendAudit(tx, input.audit, input.at)
    return { version }
  }
}

/** The NOTIFY channel for a PostgreSQL schema: replicas of one deployment share it, other schemas do not. */
export function revocationChannel(schema: string | undefined): string {
  return schema ? `latch_revocations:${schema}` : 'latch_revocations'
}
