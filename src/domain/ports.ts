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
  /** The client the session was issued to: a disabled client's sessions cannot refresh. */
  client: { disabledAt: Date | null }
}

/** A session as an administrator sees it (no token material). */
export interface SessionSummary {
  id: string
  userId: string
  version: number
  clientId: string
  createdAt: Date
  lastUsedAt: Date
  expiresAt: Date
  revokedAt: Date | null
  userAgent: string | null
  ip: string | null
}

/**
 * Where a newest-first listing resumes: the (createdAt, id) of the last item already returned.
 * Keyset paging, so rows added or changed meanwhile never shift a page (offsets would repeat or
 * skip rows), and each page costs the same however deep the walk.
 */
export interface ListPosition<Id extends string | number> {
  createdAt: Date
  id: Id
}

export interface UserListQuery {
  /** Matched literally (no wildcards) against the stored, lower-cased email. */
  emailContains: string | null
  after: ListPosition<string> | null
  limit: number
}

/** A stored audit event, as read back. `type` is a string: old rows may carry types since retired. */
export interface AuditEntry {
  id: number
  type: string
  actorId: string | null
  userId: string | null
  ip: string | null
  userAgent: string | null
  /** Always an object; `{}` when the event has no detail. */
  detail: Record<string, unknown>
  createdAt: Date
}

export interface AuditListQuery {
  userId: string | null
  type: AuditEventType | null
  after: ListPosition<number> | null
  limit: number
}

/** The live state behind an access token, for the checks that want the strongest guarantee. */
export interface SessionLiveState {
  session: { id: string; revokedAt: Date | null; expiresAt: Date }
  user: Pick<User, 'id' | 'email' | 'role' | 'refreshTokenVersion' | 'lockedAt'>
  /** The token's own jti was revoked (RFC 7009), whatever its session's state. */
  accessTokenRevoked: boolean
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
  'client_created',
  'client_updated',
  'client_disabled',
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
  /**
   * Locks the account, bumps its refreshTokenVersion and revokes its sessions, atomically. Unless
   * `force`, throws LastAdminError (and changes nothing) when that would leave no unlocked admin.
   */
  lock(input: { userId: string; reason: string; force?: boolean; audit: AuditRecord } & RevocationTiming): Promise<User | null>
  unlock(input: { userId: string; audit: AuditRecord } & RevocationTiming): Promise<User | null>
  /** Newest first, by (createdAt, id). */
  list(query: UserListQuery): Promise<User[]>
  /**
   * Sets the role and records the audit event with `{from, to}` added to its detail. Unless
   * `force`, throws LastAdminError (and changes nothing) when that would leave no unlocked admin.
   * Setting the current role again writes nothing. Returns null for an unknown user.
   */
  setRole(input: { userId: string; role: Role; force: boolean; audit: AuditRecord; at: Date }): Promise<User | null>
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
  /** The session, its user and the revocation of the token's jti, read together (one query on every Bearer request). */
  findLiveState(input: { sessionId: string; jti: string }): Promise<SessionLiveState | null>
  findSummary(sessionId: string): Promise<SessionSummary | null>
  /**
   * The user's sessions neither revoked nor past their absolute expiry at `now`, newest first: a
   * cheap narrowing in the database. The session policy decides which of them are still active.
   */
  listOpen(input: { userId: string; now: Date }): Promise<SessionSummary[]>
}

/** The audit trail. Changes record themselves through the stores above; this is for events without one. */
export interface AuditStore {
  append(record: AuditRecord & { at: Date }): Promise<void>
  /** Newest first, by (createdAt, id). */
  list(query: AuditListQuery): Promise<AuditEntry[]>
}

export type ClientType = 'public' | 'confidential'
export const CLIENT_TYPES: readonly ClientType[] = ['public', 'confidential']

/**
 * A registered OAuth client (RFC 6749 section 2). First-party apps are public clients that start
 * sessions through /login; resource servers that introspect tokens are confidential ones.
 */
export interface Client {
  /** The client_id. */
  id: string
  name: string
  type: ClientType
  /** SHA-256 of the client secret, base64url; null for public clients. */
  secretHash: string | null
  /** Exact origins (scheme://host[:port]) allowed to call Latch from a browser for this client. */
  allowedOrigins: string[]
  /** Space-separated scopes the client's sessions are granted (RFC 6749 section 3.3). */
  scope: string
  /** The `aud` of access tokens issued to this client. */
  audience: string
  createdAt: Date
  disabledAt: Date | null
}

export interface ClientStore {
  /**
   * Stores a new client and its audit record in one transaction, with its feed webhook when it has
   * one: that webhook's delivery starts at the oldest retained revocation, so a new receiver gets
   * the full current set.
   */
  create(client: Client, audit: AuditRecord, webhook?: { url: string }): Promise<void>
  findById(id: string): Promise<Client | null>
  /**
   * Inserts a configured client with its audit record unless a client with its id exists; returns
   * whether it did. Safe when several replicas start at once: exactly one inserts, and the others
   * write nothing.
   */
  insertIfMissing(client: Client, audit: AuditRecord): Promise<boolean>
  /**
   * Sets a client's scope and audience to `to` if they are still `from` (a compare-and-set), with
   * the audit record, in one transaction; returns false, writing nothing, when they are not.
   */
  realign(input: { id: string; from: Pick<Client, 'scope' | 'audience'>; to: Pick<Client, 'scope' | 'audience'>; audit: AuditRecord; at: Date }): Promise<boolean>
  /** The audiences of clients not disabled: the `aud` values introspection and revocation accept. */
  listActiveAudiences(): Promise<string[]>
  /** The union of the allowed origins of clients not disabled: the Origins CORS answers. */
  listAllowedOrigins(): Promise<string[]>
  /** Disables the client and records the audit event, atomically; false when it was unknown or already disabled. */
  disable(input: { clientId: string; audit: AuditRecord; at: Date }): Promise<boolean>
}

/** Single access tokens revoked before their expiry (RFC 7009), by `jti`. */
export interface AccessTokenRevocationStore {
  /**
   * Appends a Revocation of kind access_token (alive until `feedExpiresAt`, the token's own exp)
   * and the audit record, in one transaction. Returns false, writing nothing, when the jti is
   * already revoked.
   */
  revoke(input: { jti: string; userId: string; sessionId: string; audit: AuditRecord } & RevocationTiming): Promise<boolean>
  isRevoked(jti: string): Promise<boolean>
}

/** An access-token signing key as stored: the private JWK only ever sealed (see KeyEncryption). */
export interface StoredSigningKey {
  kid: string
  alg: string
  /** Public JWK (no `d`). */
  publicJwk: Record<string, unknown>
  /** The private JWK, sealed under the key-encryption key with the kid as associated data. */
  sealedPrivateJwk: string
  createdAt: Date
  activatesAt: Date
  retiresAt: Date | null
}

/** Signing keys shared by every replica (database-managed mode). */
export interface SigningKeyStore {
  /** Keys not retired at `at` (retiresAt null or later), oldest first. */
  listLive(at: Date): Promise<StoredSigningKey[]>
  /** Every key ever stored, retired ones included, oldest first. */
  listAll(): Promise<StoredSigningKey[]>
  /**
   * Inserts the first key, with its audit record, only when no key is live at `key.createdAt`.
   * Returns false, writing nothing, when there is one (another replica got there first).
   */
  insertFirst(input: { key: StoredSigningKey; audit: AuditRecord }): Promise<boolean>
  /**
   * Inserts `key` and gives every other key still without a retiresAt that instant, with the audit
   * record, in one transaction. Returns the kids it scheduled for retirement.
   */
  add(input: { key: StoredSigningKey; retirePreviousAt: Date; audit: AuditRecord }): Promise<string[]>
}

export type RevocationKind = 'session' | 'user_version' | 'user_disabled' | 'user_enabled' | 'access_token'

/** One entry of the revocation outbox, as the event feed reads it back. */
export interface RevocationRecord {
  /** Increases in commit order; the feed's cursor. */
  cursor: number
  kind: RevocationKind
  userId: string
  sessionId: string | null
  /** user_version: tokens whose `ver` is below this are revoked. */
  minVersion: number | null
  /** access_token: the revoked token's jti. */
  jti: string | null
  reason: string
  createdAt: Date
  /** After this instant no access token the entry could affect can still be accepted. */
  expiresAt: Date
}

/** The revocation outbox read as a feed. Every read sees committed entries only. */
export interface RevocationFeedStore {
  /** Entries with a cursor above `after`, in cursor order, at most `limit`. */
  readAfter(after: number, limit: number): Promise<RevocationRecord[]>
  /** The oldest retained cursor (null while the log is empty) and the latest cursor ever written (0 before the first). */
  bounds(): Promise<{ oldest: number | null; latest: number }>
  /**
   * Deletes the oldest entries up to the first one still alive at `now`, never the latest entry
   * (it keeps the latest cursor known). Returns how many went.
   */
  prune(now: Date): Promise<number>
}

/** Wakes the feed when revocations may have committed: in this process, or on PostgreSQL in any replica. */
export interface RevocationSignal {
  subscribe(listener: () => void): () => void
}

/** A webhook receiver of the revocation feed, as the delivery loop sees it. */
export interface FeedWebhook {
  clientId: string
  url: string
  /** The last cursor the receiver acknowledged. */
  cursor: number
  /** Failed attempts in a row. */
  failures: number
}

/**
 * Delivery state of webhook receivers, shared by every replica. A replica delivers to a webhook
 * only while it holds that webhook's lease, so each SET goes out once, in order.
 */
export interface FeedWebhookStore {
  /** Leases, until `leaseUntil`, every webhook whose next attempt is due at `now` and that no live lease holds. */
  claimDue(input: { owner: string; now: Date; leaseUntil: Date }): Promise<FeedWebhook[]>
  /** Records an acknowledged cursor and clears the failure count; false when `owner` no longer holds the lease. */
  acknowledge(input: { clientId: string; owner: string; cursor: number }): Promise<boolean>
  /** Counts a failed attempt, schedules the next one and releases the lease. */
  fail(input: { clientId: string; owner: string; error: string; nextAttemptAt: Date }): Promise<void>
  /** Releases the lease; the next attempt is due at once. */
  release(input: { clientId: string; owner: string }): Promise<void>
}

export interface LoginAttempt {
  /** Normalised, so that case variants of one address share a count. */
  email: string
  ip: string | null
}

/**
 * Slows online password guessing with the two counts of OWASP's authentication cheat sheet (and
 * rate-limiter-flexible's "login endpoint protection" recipe):
 * - failures for one email from one IP address: a few guesses, then that pair waits. Keyed by the
 *   pair and not by the email alone, so that nobody can lock a victim out by failing on purpose
 *   from an address of their own; a correct password starts the pair's count again.
 * - failures from one IP address over any emails: a spray of common passwords across accounts.
 * An attempt takes its point before the password is checked and gets it back when the password
 * is right, so that parallel guesses cannot all slip past the check before the first of them
 * fails, and a blocked caller costs no argon2 verification. Unknown emails count exactly like
 * known ones: being blocked says nothing about whether an account exists.
 * Implemented in src/limits/in-memory-login-throttle.ts.
 */
export interface LoginThrottle {
  /** Counts the attempt; throws TooManyAttemptsError, before any password is checked, when a count is spent. */
  attempt(attempt: LoginAttempt): Promise<void>
  /** The password was right: the attempt was no guess. */
  succeeded(attempt: LoginAttempt): Promise<void>
}

/** A storage health probe. */
export interface StorageHealth {
  ping(): Promise<void>
}

/** throttled: refused by the login throttle before any password was checked. */
export type LoginOutcome = 'succeeded' | 'failed' | 'locked' | 'throttled'
export const LOGIN_OUTCOMES: readonly LoginOutcome[] = ['succeeded', 'failed', 'locked', 'throttled']

/**
 * rotated: the token was consumed and its successor stored. grace_replay: a used token presented
 * again within the reuse grace got the same successor. reuse_detected: a replay after the grace
 * revoked the session. refused: any other answer the domain gave instead of tokens (unknown,
 * malformed, expired, revoked, another client's token, …).
 */
export type RefreshOutcome = 'rotated' | 'grace_replay' | 'reuse_detected' | 'refused'
export const REFRESH_OUTCOMES: readonly RefreshOutcome[] = ['rotated', 'grace_replay', 'reuse_detected', 'refused']

/**
 * Counts of what the use cases decided, for operators' metrics (src/metrics implements it with
 * prom-client, or with nothing when metrics are off). Called on hot paths: must be cheap and never throw.
 */
export interface OutcomeMetrics {
  login(outcome: LoginOutcome): void
  refresh(outcome: RefreshOutcome): void
}

/** Counts nothing: metrics are off. */
export const NO_OUTCOME_METRICS: OutcomeMetrics = Object.freeze({ login() {}, refresh() {} })
