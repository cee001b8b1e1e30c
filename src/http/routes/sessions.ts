import type Router from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import type { Core } from '../../domain/core.js'
import type { TokenPair } from '../../domain/sessions/token-pair.js'
import { parseInput } from '../errors.js'
import { JSON_BODY_ERRORS, TokenPairBody, UNAVAILABLE, type OperationSpecs } from '../openapi.js'
import { requireAccessToken, type AuthenticatedState } from '../middleware/authenticate.js'
import { jsonBody } from '../middleware/json-body.js'
import { requestContext } from '../request-context.js'
import { createRouter } from '../router.js'
import { ClientId, Email, Password, RefreshToken } from './inputs.js'

const LoginInput = z.strictObject({
  email: Email,
  password: Password,
  /** A registered public client to start the session for; the first-party client (LATCH_CLIENT_ID) if absent. */
  client_id: ClientId.optional(),
})
const RefreshInput = z.strictObject({ refresh_token: RefreshToken })

const tokenPair = { description: 'A new token pair (Cache-Control: no-store)', schema: TokenPairBody }

export const sessionOperations: OperationSpecs = {
  'POST /login': {
    summary: 'Check a password and start a session',
    tag: 'sessions',
    body: { schema: LoginInput },
    responses: {
      200: tokenPair,
      ...JSON_BODY_ERRORS,
      400: 'invalid_request, or unauthorized_client for a confidential client_id',
      401: 'invalid_grant, or invalid_client for an unknown or disabled client_id',
      403: 'account_locked (only after a correct password)',
      429: 'too_many_requests: too many failed logins for this email from this address, or from this address; Retry-After says when to try again',
      ...UNAVAILABLE,
    },
  },
  'POST /refresh': {
    summary: 'Rotate a refresh token: a new pair; reuse after the grace window revokes the session',
    tag: 'sessions',
    body: { schema: RefreshInput },
    responses: { 200: tokenPair, ...JSON_BODY_ERRORS, 401: 'invalid_grant', ...UNAVAILABLE },
  },
  'POST /logout': {
    summary: 'End the session of a refresh token (idempotent; 204 for unknown tokens too)',
    tag: 'sessions',
    body: { schema: RefreshInput },
    responses: { 204: 'Logged out', ...JSON_BODY_ERRORS, ...UNAVAILABLE },
  },
  'POST /logout-all': {
    summary: "End every session of the token's user and bump its refreshTokenVersion",
    tag: 'sessions',
    security: 'bearer',
    responses: { 204: 'Logged out everywhere', 401: 'invalid_token', ...UNAVAILABLE },
  },
}

export function sessionRoutes(core: Core, options: { bodyLimit: number }): Router {
  const router = createRouter()
  const body = jsonBody(options.bodyLimit)

  router.post('/login', body, async (ctx) => {
    const { client_id: clientId, ...input } = parseInput(LoginInput, ctx.request.body)
    sendTokens(ctx, await core.login({ ...input, ...(clientId === undefined ? {} : { clientId }) }, requestContext(ctx)))
  })

  router.post('/refresh', body, async (ctx) => {
    const input = parseInput(RefreshInput, ctx.request.body)
    sendTokens(ctx, await core.refresh({ refreshToken: input.refresh_token }, requestContext(ctx)))
  })

  router.post('/logout', body, async (ctx) => {
    const input = parseInput(RefreshInput, ctx.request.body)
    await core.logout(input.refresh_token, requestContext(ctx))
    ctx.status = 204
  })

  router.post('/logout-all', requireAccessToken(core), async (ctx: Context & { state: AuthenticatedState }) => {
    await core.logoutEverywhere(ctx.state.principal.user.id, requestContext(ctx))
    ctx.status = 204
  })

  return router
}

/** The token response of RFC 6749 section 5.1, never cached (section 5.1 requires no-store). */
export function sendTokens(ctx: Context, pair: TokenPair): void {
  ctx.set('Cache-Control', 'no-store')
  ctx.body = {
    access_token: pair.accessToken,
    token_type: 'Bearer',
    expires_in: pair.expiresIn,
    refresh_token: pair.refreshToken,
    refresh_expires_in: pair.refreshExpiresIn,
  }
}
