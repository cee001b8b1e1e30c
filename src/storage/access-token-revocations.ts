import type { AccessTokenRevocationStore } from '../domain/ports.js'
import { appendAudit } from './audit-log.js'
import type { PrismaClient } from './generated/postgresql/client.js'
import type { Provider } from './connect.js'
import type { RevocationOutbox } from './revocation-log.js'
import { takeSqliteWriteLock } from './sqlite-write-lock.js'

/**
 * RFC 7009 revocation of single access tokens. The entry goes to the same revocation outbox as
 * every other revocation, so edges that follow the feed drop the token too; it stays there until
 * the token's own expiry, after which nobody could accept it anyway.
 */
export function createAccessTokenRevocationStore(prisma: PrismaClient, provider: Provider, outbox: RevocationOutbox): AccessTokenRevocationStore {
  return {
    async revoke({ jti, userId, sessionId, audit, ...timing }) {
      return outbox.transaction(async (tx) => {
        await takeSqliteWriteLock(tx, provider)
        // A repeated revocation writes nothing. Two at the very same moment may both append:
        // a duplicate outbox row is harmless, and this check keeps the trail to one in practice.
        if (await tx.revocation.findFirst({ where: { jti, kind: 'access_token' }, select: { cursor: true } })) return false
        await outbox.append(tx, [{ kind: 'access_token', userId, sessionId, jti, reason: 'token_revoked' }], timing)
        await appendAudit(tx, { ...audit, userId, detail: { ...audit.detail, jti, sessionId } }, timing.at)
        return true
      })
    },

    async isRevoked(jti) {
      return (await prisma.revocation.findFirst({ where: { jti, kind: 'access_token' }, select: { cursor: true } })) !== null
    },
  }
}
