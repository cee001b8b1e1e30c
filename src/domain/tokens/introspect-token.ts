import type { CoreDependencies } from '../dependencies.js'
import { addSeconds } from '../clock.js'
import { InvalidTokenError } from '../errors.js'
import type { RefreshTokenSecret } from '../sessions/refresh-token-secrets.js'
import { requireLiveState } from '../sessions/authenticate.js'
import { refreshExpiresIn, whySessionCannotRefresh } from '../sessions/session-policy.js'
import type { AccessTokenClaims } from './access-tokens.js'

export type TokenIntrospection =
  | { active: false }
  | { active: true; kind: 'access_token'; claims: AccessTokenClaims }
  | { active: true; kind: 'refresh_token'; clientId: string; scope: string; userId: string; expiresAt: Date }

const INACTIVE: TokenIntrospection = Object.freeze({ active: false })

/**
 * RFC 7662 introspection. Refresh tokens are told apart from access tokens by their format, so a
 * `token_type_hint` is never needed (RFC 7662 section 2.1 lets the server ignore it). Anything
 * unknown, malformed, expired or revoked is simply inactive: the caller learns nothing more.
 */
export async function introspectToken(deps: CoreDependencies, token: string): Promise<TokenIntrospection> {
  const refreshToken = deps.secrets.parse(token)
  return refreshToken ? introspectRefreshToken(deps, refreshToken) : introspectAccessToken(deps, token)
}

/**
 * Active when the JWT verifies (signature, typ, issuer, expiry) for the audience of any registered
 * client, not only Latch's own, and its live state is good: the very check /me makes.
 */
async function introspectAccessToken(deps: CoreDependencies, token: string): Promise<TokenIntrospection> {
  try {
    const claims = await deps.accessTokens.verify(token, { audience: await deps.clients.listActiveAudiences() })
    await requireLiveState(deps, claims)
    return { active: true, kind: 'access_token', claims }
  } catch (error) {
    if (error instanceof InvalidTokenError) return INACTIVE
    throw error
  }
}

/**
 * Active only while the token is unused and its session could still refresh. A used token inside
 * the reuse grace window still yields its successor, but only as a retry of a refresh that already
 * happened: it is not a token anyone should rely on, so it is reported inactive.
 */
async function introspectRefreshToken(deps: CoreDependencies, refreshToken: RefreshTokenSecret): Promise<TokenIntrospection> {
  const state = await deps.sessions.findByRefreshTokenHash(refreshToken.hash)
  const now = deps.clock.now()
  if (!state || state.token.usedAt !== null || whySessionCannotRefresh(state, now, deps.settings)) return INACTIVE
  const { session } = state
  return {
    active: true,
    kind: 'refresh_token',
    clientId: session.clientId,
    scope: session.scope,
    userId: session.userId,
    expiresAt: addSeconds(now, refreshExpiresIn(session, session.lastUsedAt, now, deps.settings)),
  }
}
