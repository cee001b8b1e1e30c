import { addSeconds } from '../clock.js'
import type { RefreshTokenState } from '../ports.js'

export interface SessionPolicy {
  /** A session ends this long after login, however active. */
  absoluteLifetimeSeconds: number
  /** A session ends when it has not refreshed for this long. */
  idleLifetimeSeconds: number
  /** How long a used refresh token may be replayed and get the same successor (0 disables). */
  reuseGraceSeconds: number
}

/** What the policy looks at: a session and its user, whether read for a refresh or for a listing. */
export interface SessionPolicyState {
  session: Pick<RefreshTokenState['session'], 'revokedAt' | 'version' | 'expiresAt' | 'lastUsedAt'>
  user: RefreshTokenState['user']
  /** Absent where only the user's own sessions are listed (all of one client or another). */
  client?: RefreshTokenState['client']
}

/**
 * Why a session may not mint new tokens, or null when it may (the definition of an active
 * session). The reasons are for logs only: the client always hears the same `invalid_grant`.
 */
export function whySessionCannotRefresh(state: SessionPolicyState, now: Date, policy: SessionPolicy): string | null {
  const { session, user } = state
  if (session.revokedAt) return 'session revoked'
  if (user.lockedAt) return 'account locked'
  if (state.client?.disabledAt) return 'the client of this session is disabled'
  if (session.version !== user.refreshTokenVersion) return 'session version is stale (logged out everywhere or locked)'
  if (now >= session.expiresAt) return 'session reached its absolute lifetime'
  if (now >= idleDeadline(session.lastUsedAt, policy)) return 'session idle for too long'
  return null
}

/** Seconds the newest refresh token stays usable: until the idle or the absolute deadline, whichever is first. */
export function refreshExpiresIn(session: { expiresAt: Date }, lastUsedAt: Date, now: Date, policy: SessionPolicy): number {
  const deadline = Math.min(session.expiresAt.getTime(), idleDeadline(lastUsedAt, policy).getTime())
  return Math.max(0, Math.floor((deadline - now.getTime()) / 1000))
}

export function isWithinReuseGrace(usedAt: Date, now: Date, policy: SessionPolicy): boolean {
  return policy.reuseGraceSeconds > 0 && now.getTime() - usedAt.getTime() <= policy.reuseGraceSeconds * 1000
}

function idleDeadline(lastUsedAt: Date, policy: SessionPolicy): Date {
  return addSeconds(lastUsedAt, policy.idleLifetimeSeconds)
}
