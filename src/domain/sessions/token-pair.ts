import type { AccessTokens } from '../tokens/access-tokens.js'
import type { RefreshTokenSecret } from './refresh-token-secrets.js'

export interface TokenPair {
  accessToken: string
  /** Seconds. */
  expiresIn: number
  refreshToken: string
  /** Seconds until the refresh token stops working if unused. */
  refreshExpiresIn: number
  sessionId: string
  /** The access token's scope (a refresh may narrow it). */
  scope: string
}

export async function issueTokenPair(
  accessTokens: AccessTokens,
  input: {
    session: { id: string; userId: string; version: number; clientId: string; scope: string; audience: string }
    refreshToken: RefreshTokenSecret
    refreshExpiresIn: number
  },
): Promise<TokenPair> {
  const { session } = input
  const access = await accessTokens.issue({
    userId: session.userId,
    sessionId: session.id,
    version: session.version,
    clientId: session.clientId,
    scope: session.scope,
    audience: session.audience,
  })
  return {
    accessToken: access.token,
    expiresIn: access.expiresIn,
    refreshToken: input.refreshToken.token,
    refreshExpiresIn: input.refreshExpiresIn,
    sessionId: session.id,
    scope: session.scope,
  }
}
