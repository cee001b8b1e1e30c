import type { AuditRecord, RevocationTiming, SessionRevokeReason } from '../domain/ports.js'
import { appendAudit } from './audit-log.js'
import type { Prisma } from './generated/postgresql/client.js'

export type RevocationKind = 'session' | 'user_version' | 'user_disabled' | 'user_enabled' | 'access_token'

type Transaction = Prisma.TransactionClient

export interface RevocationEntry {
  kind: RevocationKind
  userId: string
  sessionId?: string
  minVersion?: number
  jti?: string
  reason: string
}

/** Appends to the revocation outbox. Always called inside the transaction that made the change. */
export async function appendRevocations(tx: Transaction, entries: RevocationEntry[], timing: RevocationTiming): Promise<void> {
  await tx.revocation.createMany({
    data: entries.map((entry) => ({ ...entry, createdAt: timing.at, expiresAt: timing.feedExpiresAt })),
  })
}

/**
 * Bumps the user's refreshTokenVersion and revokes all their open sessions: the shared heart of
 * logout-all and lockout. Returns the new version, or null when the user does not exist.
 */
export async function revokeEverySession(
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
  await appendRevocations(tx, entries, input)
  await appendAudit(tx, input.audit, input.at)
  return { version }
}
