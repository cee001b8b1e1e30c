import { CLOCK_SKEW_SECONDS } from '../clock.js'
import { revocationTiming, type CoreDependencies } from '../dependencies.js'
import { InvalidRequestError, InvalidTokenError } from '../errors.js'
import type { Client, RequestContext } from '../ports.js'
import type { RefreshTokenSecret } from '../sessions/refresh-token-secrets.js'

export interface TokenRevocation {
  token: string
  /** The authenticated (confidential) or identified (public) client asking. */
  client: Client
}

/**
 * RFC 7009 revocation. A refresh token ends its whole session, as a logout does; an access token
 * is revoked on its own, by jti, until it expires. Unknown, malformed, expired and already revoked
 * tokens are answered as success and change nothing (section 2.2): the client cannot act on such
 * an error, and an answer would make the endpoint a token oracle. Refresh tokens are told apart by
 * their format, so `token_type_hint` is never needed (section 2.1 lets the server ignore it).
 */
export async function revokeToken(deps: CoreDependencies, input: TokenRevocation, context: RequestContext): Promise<void> {
  const refreshToken = deps.secrets.parse(input.token)
  const actor = { ...context, actorId: `client:${input.client.id}` }
  if (refreshToken) await revokeRefreshToken(deps, refreshToken, input.client, actor)
  else await revokeAccessToken(deps, input.token, input.client, actor)
}

async function revokeRefreshToken(deps: CoreDependencies, refreshToken: RefreshTokenSecret, client: Client, context: RequestContext): Promise<void> {
  const state = await deps.sessions.findByRefreshTokenHash(refreshToken.hash)
  if (!state || !issuedTo(client, state.session.clientId) || state.session.revokedAt) return
  const { session } = state
  const audit = { type: 'logout', context, userId: session.userId, detail: { clientId: client.id, via: 'revocation_endpoint' } } as const
  await deps.sessions.revoke({ sessionId: session.id, reason: 'logout', audit, ...revocationTiming(deps) })
}

async function revokeAccessToken(deps: CoreDependencies, token: string, client: Client, context: RequestContext): Promise<void> {
  let claims
  try {
    claims = await deps.accessTokens.verify(token, { audience: await deps.clients.listActiveAudiences() })
  } catch (error) {
    if (error instanceof InvalidTokenError) return
    throw error
  }
  if (!isAudienceOf(client, claims.aud) && !issuedTo(client, claims.client_id)) return
  await deps.accessTokenRevocations.revoke({
    jti: claims.jti,
    userId: claims.sub,
    sessionId: claims.sid,
    audit: { type: 'access_token_revoked', context, userId: claims.sub, detail: { clientId: client.id } },
    at: deps.clock.now(),
    // The entry matters exactly as long as the token could still be accepted somewhere.
    feedExpiresAt: new Date((claims.exp + CLOCK_SKEW_SECONDS) * 1000),
  })
}

/**
 * A confidential client is a resource server: the access tokens for its audience are the ones
 * presented to it, and it may revoke them (one token, by jti; never the session behind it, whose
 * refresh token belongs to the app that logged in), as a resource server that sees a token leak or
 * misused must be able to. Public clients are not authenticated, so audience grants them nothing.
 */
function isAudienceOf(client: Client, audience: string): boolean {
  return client.type === 'confidential' && client.audience === audience
}

/**
 * RFC 7009 section 2.1: a client may revoke only tokens issued to it, and a refused request is
 * reported. To an authenticated (confidential) client, that is; a public client is not
 * authenticated, so it is told nothing and nothing happens (node-oidc-provider does the same).
 */
function issuedTo(client: Client, tokenClientId: string): boolean {
  if (tokenClientId === client.id) return true
  if (client.type === 'public') return false
  throw new InvalidRequestError('The token was not issued to this client.', { detail: `revoke: client ${client.id} presented a token of client ${tokenClientId}` })
}
