import { revocationTiming, type CoreDependencies } from '../dependencies.js'
import type { RequestContext } from '../ports.js'

/**
 * Ends the session a refresh token belongs to. Idempotent, and silent about tokens it does not
 * know (RFC 7009 section 2.2): telling the caller would turn logout into a token oracle.
 */
export async function logout(deps: CoreDependencies, presentedToken: string, context: RequestContext): Promise<void> {
  const presented = deps.secrets.parse(presentedToken)
  if (!presented) return
  const state = await deps.sessions.findByRefreshTokenHash(presented.hash)
  if (!state || state.session.revokedAt) return
  const audit = { type: 'logout', context: { ...context, actorId: state.session.userId }, userId: state.session.userId } as const
  await deps.sessions.revoke({ sessionId: state.session.id, reason: 'logout', audit, ...revocationTiming(deps) })
}

/**
 * "Log out of all devices": bumps the user's refreshTokenVersion and revokes every session in one
 * transaction, so no session can refresh again and every access token already out is dead within
 * one access-token lifetime (and at once wherever live state is checked).
 */
export async function logoutEverywhere(deps: CoreDependencies, userId: string, context: RequestContext): Promise<void> {
  const audit = { type: 'logout_all', context, userId } as const
  await deps.sessions.revokeAllForUser({ userId, reason: 'logout_all', audit, ...revocationTiming(deps) })
}
