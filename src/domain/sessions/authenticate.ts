import type { CoreDependencies } from '../dependencies.js'
import { InvalidTokenError } from '../errors.js'
import type { SessionLiveState } from '../ports.js'
import type { AccessTokenClaims } from '../tokens/access-tokens.js'

export interface Principal {
  claims: AccessTokenClaims
  user: SessionLiveState['user']
}

/**
 * Verifies an access token for Latch's own API locally and then against live state. This is the
 * strongest check Latch offers; edges that skip the database get the same answers from the
 * revocation feed instead.
 */
export async function authenticate(deps: CoreDependencies, accessToken: string): Promise<Principal> {
  const claims = await deps.accessTokens.verify(accessToken)
  return { claims, user: await requireLiveState(deps, claims) }
}

/**
 * The live state a verified access token needs, in one implementation shared by /me (and every
 * Bearer endpoint) and token introspection: the session must not be revoked or expired, the user
 * not locked, the token's `ver` must still be the user's refreshTokenVersion, and the token must
 * not have been revoked on its own (RFC 7009).
 */
export async function requireLiveState(deps: CoreDependencies, claims: AccessTokenClaims): Promise<SessionLiveState['user']> {
  const live = await deps.sessions.findLiveState({ sessionId: claims.sid, jti: claims.jti })
  if (!live || live.user.id !== claims.sub) throw new InvalidTokenError('access token names an unknown session')
  if (live.session.revokedAt) throw new InvalidTokenError(`session ${claims.sid} is revoked`)
  if (deps.clock.now() >= live.session.expiresAt) throw new InvalidTokenError(`session ${claims.sid} has expired`)
  if (live.user.lockedAt) throw new InvalidTokenError(`user ${claims.sub} is locked`)
  if (live.user.refreshTokenVersion !== claims.ver) throw new InvalidTokenError(`token version ${claims.ver} is stale`)
  if (live.accessTokenRevoked) throw new InvalidTokenError(`access token ${claims.jti} is revoked`)
  return live.user
}
