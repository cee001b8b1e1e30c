import { randomUUID } from 'node:crypto'
import { revocationTiming, type CoreDependencies } from '../dependencies.js'
import { InvalidGrantError, LatchError } from '../errors.js'
import { assertMayHoldSessions } from '../clients/session-clients.js'
import type { Client, RefreshOutcome, RefreshTokenState, RequestContext } from '../ports.js'
import type { RefreshTokenSecret } from './refresh-token-secrets.js'
import { narrowScope } from './scope.js'
import { isWithinReuseGrace, refreshExpiresIn, whySessionCannotRefresh } from './session-policy.js'
import { issueTokenPair, type TokenPair } from './token-pair.js'

export interface RefreshRequest {
  refreshToken: string
  /**
   * The client presenting the token, authenticated or identified by the OAuth token endpoint; the
   * token must have been issued to it. Absent on /refresh, the first-party endpoint.
   */
  client?: Pick<Client, 'id' | 'type'>
  /** A narrower scope for the new access token (RFC 6749 section 6); the session keeps its grant. */
  scope?: string
}

/**
 * Exchanges a refresh token for a new pair: the one implementation behind every refresh grant
 * (POST /refresh and the OAuth token endpoint's refresh_token grant).
 *
 * The presented token is consumed by a compare-and-set in the same transaction that stores its
 * successor, so two requests can never both consume it. The successor is derived from the
 * presented secret (see RefreshTokenSecrets), which makes a repeat inside the grace window cheap
 * and safe: it recomputes the same successor, and the family stays one chain. A used token
 * presented after the window is a replay (RFC 9700 section 4.14.2): the whole session is revoked,
 * and that revocation commits even though the request fails.
 */
export async function rotateRefreshToken(deps: CoreDependencies, request: RefreshRequest, context: RequestContext): Promise<TokenPair> {
  const { sessions, secrets, clock, settings } = deps
  // Counted once decided: a refusal is any LatchError before a decision; an unexpected error
  // (the database out of reach) is no outcome and is not counted.
  let outcome: RefreshOutcome | null = null
  try {
    if (request.client) assertMayHoldSessions(request.client)
    const presented = secrets.parse(request.refreshToken)
    if (!presented) throw new InvalidGrantError('refresh: malformed refresh token')

    let state = await sessions.findByRefreshTokenHash(presented.hash)
    if (!state) throw new InvalidGrantError('refresh: unknown refresh token')
    // Both checked before anything is written: a token presented by another client, or with more
    // scope than it was granted, neither consumes it nor counts as its reuse.
    if (request.client && request.client.id !== state.session.clientId) {
      throw new InvalidGrantError(`refresh: token of client ${state.session.clientId} presented by client ${request.client.id} (session ${state.session.id})`)
    }
    const scope = narrowScope(state.session.scope, request.scope)

    const now = clock.now()
    const successor = secrets.successorOf(presented)
    assertCanRefresh(state, now, deps)

    if (state.token.usedAt === null) {
      const rotated = await sessions.rotate({
        tokenId: state.token.id,
        sessionId: state.session.id,
        successor: { id: randomUUID(), hash: successor.hash },
        at: now,
      })
      if (rotated) {
        outcome = 'rotated'
        return issue(deps, state, successor, now, scope)
      }
      // Lost the race to a concurrent refresh, or the session was revoked meanwhile: re-read and decide again.
      state = await sessions.findByRefreshTokenHash(presented.hash)
      if (!state) throw new InvalidGrantError('refresh: refresh token vanished during rotation')
      assertCanRefresh(state, now, deps)
    }

    const usedAt = state.token.usedAt
    // Still unused after a lost compare-and-set: nothing was consumed, so this is no replay. Refuse
    // this one request and revoke nothing; the client may retry.
    if (usedAt === null) throw new InvalidGrantError('refresh: rotation did not commit and the token is still unused')
    if (isWithinReuseGrace(usedAt, now, settings)) {
      outcome = 'grace_replay'
      return issue(deps, state, successor, now, scope)
    }

    await sessions.revoke({
      sessionId: state.session.id,
      reason: 'refresh_token_reuse',
      audit: { type: 'refresh_reuse_detected', context, userId: state.session.userId, detail: { usedAt: usedAt.toISOString() } },
      ...revocationTiming(deps),
    })
    outcome = 'reuse_detected'
    throw new InvalidGrantError(`refresh: reuse of a used refresh token, session ${state.session.id} revoked`)
  } catch (error) {
    if (outcome === null && error instanceof LatchError) outcome = 'refused'
    throw error
  } finally {
    if (outcome !== null) deps.metrics.refresh(outcome)
  }
}

function assertCanRefresh(state: RefreshTokenState, now: Date, { settings }: CoreDependencies): void {
  const reason = whySessionCannotRefresh(state, now, settings)
  if (reason) throw new InvalidGrantError(`refresh: ${reason} (session ${state.session.id})`)
}

function issue(deps: CoreDependencies, state: RefreshTokenState, successor: RefreshTokenSecret, now: Date, scope: string): Promise<TokenPair> {
  return issueTokenPair(deps.accessTokens, {
    session: { ...state.session, scope },
    refreshToken: successor,
    refreshExpiresIn: refreshExpiresIn(state.session, now, now, deps.settings),
  })
}
