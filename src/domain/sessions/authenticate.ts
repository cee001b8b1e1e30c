import type { CoreDependencies } from '../dependencies.js'
import { InvalidTokenError } from '../errors.js'
import type { SessionLiveState } from '../ports.js'
import type { AccessTokenClaims } from '../tokens/access-tokens.js'

export interface Principal {
  claims: AccessTokenClaims
  user: SessionLiveState['user']
}

/**
 * Verifies an access token locally and then against live state: the session must not be revoked
 * or expired, the user not locked, and the token's `ver` must still be the user's
 * refreshTokenVersion. This is the strongest check Latch offers; edges that skip the database get
 * the same answers from the revocation feed instead.
 */
export async function authenticate(deps: CoreDependencies, accessToken: string): Promise<Principal> {
  const claims = await deps.accessTokens.verify(accessToken)
  const live = await deps.sessions.findLiveState(claims.sid)
  if (!live || live.user.id !== claims.sub) throw new InvalidTokenError('access token names an unknown session')
  if (live.session.revokedAt) throw new InvalidTokenError(`session ${claims.sid} is revoked`)
  if (deps.clock.now() >= live.session.expiresAt) throw new InvalidTokenError(`session ${claims.sid} has expired`)
  if (live.user.lockedAt) throw new InvalidTokenError(`user ${claims.sub} is locked`)
  if (live.user.refreshTokenVersion !== claims.ver) throw new InvalidTokenError(`token version ${claims.ver} is stale`)
  return { claims, user: live.user }
}
