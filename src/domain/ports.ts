/**
 * What the domain needs from storage. src/storage implements these with Prisma; the domain
 * never sees Prisma, Koa or process.env. Every method that changes revocation state also appends
 * its Revocation records in the same transaction (the outbox the event feed is built on).
 */

export type Role = 'user' | 'admin'
export const ROLES: readonly Role[] = ['user', 'admin']

/** Reads a stored role; one the code does not know gets no privileges rather than crashing. */
export function asRole(value: string): Role {
  return (ROLES as readonly string[]).includes(value) ? (value as Role) : 'user'
}

export interface User {
  id: string
  email: string
  passwordHash: string
  role: Role
  refreshTokenVersion: number
  lockedAt: Date | null
  lockReason: string | null
  createdAt: Date
  updatedAt: Date
}

export type SessionRevokeReason = 'logout' | 'logout_all' | 'refresh_token_reuse' | 'account_locked' | 'admin'

export interface NewSession {
  id: string
  userId: string
  version: number
  clientId: string
  scope: string
  audience: string
  createdAt: Date
  expiresAt: Date
  userAgent: string | null
  ip: string | null
}

export interface NewRefreshToken {
  id: string
  /** SHA-256 of the secret, base64url. */
  hash: string
}

/** Everything a refresh decides on, read in one query. */
export interface RefreshTokenState {
  token: { id: string; usedAt: Date | null }
  session: {
    id: string
    userId: string
    version: number
    clientId: string
    scope: string
    audience: string
    lastUsedAt: Date
    expiresAt: Date
    revokedAt: Date | null
  }
  user: { refreshTokenVersion: number; lockedAt: Date | null }
}

/** The live state behind an access token, for the checks that want the strongest guarantee. */
export interface SessionLiveState {
  session: { id: string; revokedAt: Date | null; expiresAt: Date }
  user: Pick<User, 'id' | 'email' | 'role' | 'refreshTokenVersion' | 'lockedAt'>
}

/** Who asked for a change, and from where: recorded with it in the audit trail. */
export interface RequestContext {
  /** A user id, `client:<client_id>`, `cli` for operators, or null when nobody is authenticated. */
  actorId: string | null
  ip: string | null
  userAgent: string | null
}

export const AUDIT_EVENT_TYPES = [
  'user_created',
  'login_succeeded',
  'login_failed',
  'refresh_reuse_detected',
  'logout',
  'logout_all',
  'session_revoked',
  'user_locked',
  'user_unlocked',
  'role_changed',
  'access_token_revoked',
  'signing_key_added',
  'signing_key_activated',
  'client_created',
] as const
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number]

/** One security event. `detail` holds event-specific facts and never a secret. */
export interface AuditRecord {
  type: AuditEventType
  context: RequestContext
  userId: string | null
  detail?: Record<string, string | number | boolean | null>
}

/** When a revocation record stops mattering: no access token it could affect is alive after it. */
export interface RevocationTiming {
  at: Date
  feedExpiresAt: Date
}

export interface UserStore {
  /** @throws EmailTakenError when the email is already registered. */
  create(user: User, audit: AuditRecord): Promise<void>
  findByEmail(email: string): Promise<User | null>
  findById(id: string): Promise<User | null>
  updatePasswordHash(input: { userId: string; passwordHash: string; at: Date }): Promise<void>
  /** Locks the account, bumps its refreshTokenVersion and revokes its sessions, atomically. */
  lock(input: { userId: string; reason: string; audit: AuditRecord } & RevocationTiming): Promise<User | null>
  unlock(input: { userId: string; audit: AuditRecord } & RevocationTiming): Promise<User | null>
}

export interface SessionStore {
  /** Creates the session and its first refresh token in one transaction. */
  start(input: { session: NewSession; token: NewRefreshToken; audit: AuditRecord }): Promise<void>
  findByRefreshTokenHash(hash: string): Promise<RefreshTokenState | null>
  /**
   * Consumes `tokenId` and creates its successor in one transaction, with a compare-and-set on
   * "not yet used and session still live". Returns false when another request won the race or the
   * session was revoked meanwhile; nothing is written then.
   */
  rotate(input: { tokenId: string; sessionId: string; successor: NewRefreshToken; at: Date }): Promise<boolean>
  /** Returns false when the session was already revoked (or does not exist). */
  revoke(input: { sessionId: string; reason: SessionRevokeReason; audit: AuditRecord } & RevocationTiming): Promise<boolean>
  /** Bumps the user's refreshTokenVersion and revokes every session, atomically. Returns the new version. */
  revokeAllForUser(input: { userId: string; reason: SessionRevokeReason; audit: AuditRecord } & RevocationTiming): Promise<number>
  findLiveState(sessionId: string): Promise<SessionLiveState | null>
}

/** The audit trail. Changes record themselves through the stores above; this is for events without one. */
export interface AuditStore {
  append(record: AuditRecord & { at: Date }): Promise<void>
}

/** A storage health probe. */
export interface StorageHealth {
  ping(): Promise<void>
}
