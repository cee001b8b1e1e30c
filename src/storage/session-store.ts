import { asRole, type SessionStore } from '../domain/ports.js'
import { asBoolean, asDate, asDateOrNull, postgresSql, sql, sqliteSql, type DirectSql } from './direct-sql.js'
import type { PrismaClient } from './generated/postgresql/client.js'
import { appendAudit, auditInsert } from './audit-log.js'
import { isUniqueViolation } from './prisma-errors.js'
import type { RevocationOutbox } from './revocation-log.js'

export function createSessionStore(prisma: PrismaClient, outbox: RevocationOutbox, direct: DirectSql): SessionStore {
  return {
    // Hot path (every login): the session, its first token and the audit record in one write on
    // the client's own adapter (direct-sql.ts) instead of Prisma's batch transaction.
    async start({ session, token, audit }) {
      const at = session.createdAt
      await direct.write([
        sql`
          INSERT INTO sessions (id, user_id, version, client_id, scope, audience, created_at, last_used_at, expires_at, user_agent, ip)
          VALUES (${session.id}, ${session.userId}, ${session.version}, ${session.clientId}, ${session.scope}, ${session.audience},
            ${at}, ${at}, ${session.expiresAt}, ${session.userAgent}, ${session.ip})`,
        sql`INSERT INTO refresh_tokens (id, session_id, hash, created_at) VALUES (${token.id}, ${session.id}, ${token.hash}, ${at})`,
        auditInsert(audit, at),
      ])
    },

    /*
     * Hot path (every refresh, logout and introspection of a refresh token): one join on the
     * client's own adapter instead of Prisma's three queries (token, session, user). See
     * direct-sql.ts for why, and for the rules those statements keep.
     */
    async findByRefreshTokenHash(hash) {
      const [row] = await direct.query(sql`
        SELECT t.id AS token_id, t.used_at, s.id AS session_id, s.user_id, s.version, s.client_id, s.scope, s.audience,
          s.last_used_at, s.expires_at, s.revoked_at, u.refresh_token_version, u.locked_at, c.disabled_at AS client_disabled_at
        FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
          LEFT JOIN clients c ON c.id = s.client_id
        WHERE t.hash = ${hash}`)
      if (!row) return null
      return {
        token: { id: String(row.token_id), usedAt: asDateOrNull(row.used_at) },
        session: {
          id: String(row.session_id),
          userId: String(row.user_id),
          version: Number(row.version),
          clientId: String(row.client_id),
          scope: String(row.scope),
          audience: String(row.audience),
          lastUsedAt: asDate(row.last_used_at),
          expiresAt: asDate(row.expires_at),
          revokedAt: asDateOrNull(row.revoked_at),
        },
        user: { refreshTokenVersion: Number(row.refresh_token_version), lockedAt: asDateOrNull(row.locked_at) },
        client: { disabledAt: asDateOrNull(row.client_disabled_at) },
      }
    },

    /*
     * The hot path's write, atomically, on the client's own adapter (direct-sql.ts). The session
     * policy (lifetimes, idle time) was decided by the caller from the lookup; the SQL re-checks
     * only what a concurrent writer can have changed since: the token's used_at, and the session's
     * revoked_at, the user's locked_at and the version, through the compare-and-set on used_at.
     * Exactly one of two racing rotations consumes the token (the loser's counts read 0, or its
     * insert of the same derived successor hash fails on the unique index: false either way).
     */
    async rotate({ tokenId, sessionId, successor, at }) {
      try {
        if (direct.provider === 'postgresql') {
          /*
           * PostgreSQL: one statement, so one round trip and no BEGIN/COMMIT. The compare-and-set
           * comes first: it takes the presented token's row lock, so a concurrent rotation of the
           * same token waits for it, then re-reads used_at (READ COMMITTED re-checks the updated
           * row) and matches nothing; the successor insert and the session touch depend on its
           * result. successor_id names a row inserted by the same statement: the foreign key is
           * checked at the end of the statement, when that row exists. The statement returns the
           * successor's id: one row when the token was rotated, none otherwise.
           */
          const [rotated] = await direct.write([
            postgresSql`
              WITH consumed AS (
                UPDATE refresh_tokens t SET used_at = ${at}, successor_id = ${successor.id}
                WHERE t.id = ${tokenId} AND t.used_at IS NULL AND t.session_id = ${sessionId}
                  AND EXISTS (
                    SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
                    WHERE s.id = t.session_id AND s.revoked_at IS NULL AND u.locked_at IS NULL AND s.version = u.refresh_token_version
                  )
                RETURNING t.session_id
              ), inserted AS (
                INSERT INTO refresh_tokens (id, session_id, hash, created_at)
                SELECT ${successor.id}, session_id, ${successor.hash}, ${at} FROM consumed
                RETURNING id
              ), touched AS (
                UPDATE sessions SET last_used_at = ${at} WHERE id IN (SELECT session_id FROM consumed)
              )
              SELECT id FROM inserted`,
          ])
          return rotated === 1
        }
        /*
         * SQLite has no data-modifying CTEs, and its foreign keys are checked per statement, so
         * three statements in one transaction (writers are serialised, so the loser's conditions
         * simply read false): insert the successor while the presented token is unused and its
         * session live; mark the presented token used, only if still unused and the successor
         * exists; touch the session's idle clock under the same condition.
         */
        const [inserted, consumed] = await direct.write([
          sqliteSql`
            INSERT INTO refresh_tokens (id, session_id, hash, created_at)
            SELECT ${successor.id}, ${sessionId}, ${successor.hash}, ${at}
            WHERE EXISTS (
              SELECT 1 FROM refresh_tokens t
              JOIN sessions s ON s.id = t.session_id
              JOIN users u ON u.id = s.user_id
              WHERE t.id = ${tokenId} AND t.used_at IS NULL AND s.id = ${sessionId}
                AND s.revoked_at IS NULL AND u.locked_at IS NULL AND s.version = u.refresh_token_version
            )`,
          sqliteSql`
            UPDATE refresh_tokens SET used_at = ${at}, successor_id = ${successor.id}
            WHERE id = ${tokenId} AND used_at IS NULL
              AND EXISTS (SELECT 1 FROM refresh_tokens WHERE id = ${successor.id})`,
          sqliteSql`
            UPDATE sessions SET last_used_at = ${at}
            WHERE id = ${sessionId} AND EXISTS (SELECT 1 FROM refresh_tokens WHERE id = ${successor.id})`,
        ])
        return inserted === 1 && consumed === 1
      } catch (error) {
        if (isUniqueViolation(error)) return false
        throw error
      }
    },

    async revoke({ sessionId, reason, audit, ...timing }) {
      return outbox.transaction(async (tx) => {
        const [session] = await tx.session.updateManyAndReturn({
          where: { id: sessionId, revokedAt: null },
          data: { revokedAt: timing.at, revokeReason: reason },
          select: { userId: true },
        })
        if (!session) return false
        await outbox.append(tx, [{ kind: 'session', userId: session.userId, sessionId, reason }], timing)
        await appendAudit(tx, { ...audit, userId: session.userId, detail: { ...audit.detail, sessionId } }, timing.at)
        return true
      })
    },

    async revokeAllForUser({ userId, reason, audit, ...timing }) {
      const revoked = await outbox.transaction((tx) => outbox.revokeEverySession(tx, { userId, reason, audit, ...timing }))
      if (!revoked) throw new Error(`revokeAllForUser: no user ${userId}`)
      return revoked.version
    },

    /*
     * Hot path (every Bearer request: /me, /logout-all, the admin API, introspection): the session,
     * its user and whether the token's jti was revoked on its own (RFC 7009), in one query on the
     * client's own adapter (direct-sql.ts) instead of Prisma's three.
     */
    async findLiveState({ sessionId, jti }) {
      const [row] = await direct.query(sql`
        SELECT s.id, s.revoked_at, s.expires_at, u.id AS user_id, u.email, u.role, u.refresh_token_version, u.locked_at,
          EXISTS (SELECT 1 FROM revocations r WHERE r.jti = ${jti} AND r.kind = 'access_token') AS access_token_revoked
        FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = ${sessionId}`)
      if (!row) return null
      return {
        session: { id: String(row.id), revokedAt: asDateOrNull(row.revoked_at), expiresAt: asDate(row.expires_at) },
        user: {
          id: String(row.user_id),
          email: String(row.email),
          role: asRole(String(row.role)),
          refreshTokenVersion: Number(row.refresh_token_version),
          lockedAt: asDateOrNull(row.locked_at),
        },
        accessTokenRevoked: asBoolean(row.access_token_revoked),
      }
    },

    async findSummary(sessionId) {
      return prisma.session.findUnique({ where: { id: sessionId }, select: SUMMARY })
    },

    async listOpen({ userId, now }) {
      return prisma.session.findMany({
        where: { userId, revokedAt: null, expiresAt: { gt: now } },
        select: SUMMARY,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      })
    },
  }
}

/** The columns of a SessionSummary: never a token hash. */
const SUMMARY = {
  id: true,
  userId: true,
  version: true,
  clientId: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
  revokedAt: true,
  userAgent: true,
  ip: true,
} as const
