import type { CoreDependencies } from '../dependencies.js'
import type { SessionSummary, User } from '../ports.js'
import { whySessionCannotRefresh } from '../sessions/session-policy.js'
import { findUserById } from '../users/accounts.js'

export interface UserDetails {
  user: User
  /** Sessions that could refresh right now, newest first. */
  activeSessions: SessionSummary[]
}

/**
 * A user and their active sessions. "Active" is exactly what the refresh path accepts
 * (whySessionCannotRefresh): not revoked, not past the absolute or idle lifetime, version current.
 */
export async function getUserDetails(deps: CoreDependencies, userId: string): Promise<UserDetails> {
  const user = await findUserById(deps, userId)
  const now = deps.clock.now()
  const open = await deps.sessions.listOpen({ userId, now })
  const activeSessions = open.filter((session) => whySessionCannotRefresh({ session, user }, now, deps.settings) === null)
  return { user, activeSessions }
}
