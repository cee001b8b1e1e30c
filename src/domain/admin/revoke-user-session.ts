import { revocationTiming, type CoreDependencies } from '../dependencies.js'
import { NotFoundError } from '../errors.js'
import type { RequestContext } from '../ports.js'

/**
 * An admin ends one session of a user: its refresh token stops at once and its access tokens fail
 * every live check. Idempotent: returns false when the session was already revoked. A session that
 * is not this user's is not found, so a wrong pair of ids never revokes anything.
 */
export async function revokeUserSession(
  deps: CoreDependencies,
  input: { userId: string; sessionId: string },
  context: RequestContext,
): Promise<boolean> {
  const session = await deps.sessions.findSummary(input.sessionId)
  if (!session || session.userId !== input.userId) {
    throw new NotFoundError('No such session for this user.', { detail: `no session ${input.sessionId} of user ${input.userId}` })
  }
  return deps.sessions.revoke({
    sessionId: session.id,
    reason: 'admin',
    audit: { type: 'session_revoked', context, userId: session.userId },
    ...revocationTiming(deps),
  })
}
