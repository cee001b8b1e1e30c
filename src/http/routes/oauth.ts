import type Router from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import type { Core } from '../../domain/core.js'
import { InvalidRequestError, UnsupportedGrantTypeError } from '../../domain/errors.js'
import type { TokenPair } from '../../domain/sessions/token-pair.js'
import type { TokenIntrospection } from '../../domain/tokens/introspect-token.js'
import { parseInput } from '../errors.js'
import { FORM_BODY_ERRORS, UNAVAILABLE, type OperationSpecs } from '../openapi.js'
import { ClientParameters, requireClient, type ClientState } from '../middleware/client-authentication.js'
import { formBody } from '../middleware/form-body.js'
import { oauthEndpoint } from '../middleware/oauth-endpoint.js'
import { requestContext } from '../request-context.js'
import { createRouter } from '../router.js'
import { RefreshToken } from './inputs.js'

/*
 * The standard OAuth surface for clients that speak RFC 6749 rather than Latch's JSON API. Bodies
 * are forms, and unknown parameters are ignored rather than refused: RFC 6749 section 3.2 says an
 * authorization server MUST ignore unrecognized request parameters, and standard client libraries
 * rely on it.
 */
const TokenRequest = ClientParameters.extend({
  grant_type: z.string({ error: 'is required' }).min(1, { error: 'is required' }).max(128, { error: 'must be at most 128 characters' }),
  refresh_token: RefreshToken.optional(),
  scope: z.string().max(1024, { error: 'must be at most 1024 characters' }).optional(),
})

const TokenInput = ClientParameters.extend({
  token: z.string({ error: 'is required' }).min(1, { error: 'is required' }).max(8192, { error: 'must be at most 8192 characters' }),
  // Accepted and ignored: refresh and access tokens are told apart by their format (RFC 7009 section 2.1, RFC 7662 section 2.1).
  token_type_hint: z.string().max(64, { error: 'must be at most 64 characters' }).optional(),
})

const TokenResponseBody = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in', 'refresh_token', 'scope'],
  properties: {
    access_token: { type: 'string', description: 'RFC 9068 JWT access token' },
    token_type: { const: 'Bearer' },
    expires_in: { type: 'integer', description: 'seconds' },
    refresh_token: { type: 'string', description: 'the one-time successor of the presented refresh token' },
    scope: { type: 'string', description: "the access token's scope: the session's, or the narrower one requested" },
    refresh_expires_in: { type: 'integer', description: 'seconds until the refresh token lapses if unused (Latch extension)' },
  },
} as const

const IntrospectionBody = {
  type: 'object',
  required: ['active'],
  description: 'Exactly {"active": false} for a token that is unknown, invalid, expired or revoked.',
  properties: {
    active: { type: 'boolean' },
    token_type: { const: 'Bearer', description: 'access tokens only' },
    sub: { type: 'string' },
    client_id: { type: 'string' },
    scope: { type: 'string' },
    aud: { type: 'string' },
    iss: { type: 'string' },
    exp: { type: 'integer' },
    iat: { type: 'integer' },
    jti: { type: 'string' },
    sid: { type: 'string' },
  },
} as const

export const oauthOperations: OperationSpecs = {
  'POST /oauth/token': {
    summary: 'OAuth token endpoint (RFC 6749): the refresh_token grant, with the rotation and reuse detection of POST /refresh',
    tag: 'oauth',
    security: 'client',
    body: { schema: TokenRequest, contentType: 'application/x-www-form-urlencoded' },
    responses: {
      200: { description: 'A new token pair (Cache-Control: no-store, Pragma: no-cache)', schema: TokenResponseBody },
      ...FORM_BODY_ERRORS,
      400: 'invalid_request, invalid_grant, invalid_scope, unauthorized_client (confidential clients hold no sessions) or unsupported_grant_type',
      401: 'invalid_client (with WWW-Authenticate: Basic)',
      ...UNAVAILABLE,
    },
  },
  'POST /oauth/revoke': {
    summary:
      "Token revocation (RFC 7009): a refresh token ends its session, an access token is revoked by jti; a client revokes its own tokens, a confidential client also access tokens for its audience",
    tag: 'oauth',
    security: 'client',
    body: { schema: TokenInput, contentType: 'application/x-www-form-urlencoded' },
    responses: {
      200: 'Revoked, or nothing to revoke (unknown, invalid and expired tokens alike)',
      ...FORM_BODY_ERRORS,
      400: "invalid_request (also: a confidential client presented another client's refresh token, or an access token neither issued to it nor for its audience)",
      401: 'invalid_client (with WWW-Authenticate: Basic)',
      ...UNAVAILABLE,
    },
  },
  'POST /oauth/introspect': {
    summary: 'Token introspection (RFC 7662), for confidential clients: signature, expiry and live state',
    tag: 'oauth',
    security: 'client',
    body: { schema: TokenInput, contentType: 'application/x-www-form-urlencoded' },
    responses: {
      200: { description: 'Whether the token is active, and its claims when it is', schema: IntrospectionBody },
      ...FORM_BODY_ERRORS,
      401: 'invalid_client (with WWW-Authenticate: Basic; public clients may not introspect)',
      ...UNAVAILABLE,
    },
  },
}

type ClientContext = Context & { state: ClientState }

export function oauthRoutes(core: Core, options: { bodyLimit: number }): Router {
  const router = createRouter({ prefix: '/oauth' })
  const form = formBody(options.bodyLimit)

  router.post('/token', oauthEndpoint(), form, requireClient(core), async (ctx: ClientContext) => {
    const input = parseInput(TokenRequest, ctx.request.body)
    if (input.grant_type !== 'refresh_token') throw new UnsupportedGrantTypeError(`grant_type ${JSON.stringify(input.grant_type.slice(0, 64))}`)
    if (input.refresh_token === undefined) throw new InvalidRequestError('refresh_token: is required')
    const request = { refreshToken: input.refresh_token, client: ctx.state.client, ...(input.scope === undefined ? {} : { scope: input.scope }) }
    ctx.body = tokenResponse(await core.refresh(request, requestContext(ctx)))
  })

  router.post('/revoke', oauthEndpoint(), form, requireClient(core), async (ctx: ClientContext) => {
    const input = parseInput(TokenInput, ctx.request.body)
    await core.revokeToken({ token: input.token, client: ctx.state.client }, requestContext(ctx))
    ctx.status = 200
    ctx.body = ''
  })

  router.post('/introspect', oauthEndpoint(), form, requireClient(core, { confidentialOnly: true }), async (ctx: ClientContext) => {
    const input = parseInput(TokenInput, ctx.request.body)
    ctx.body = introspectionResponse(await core.introspectToken(input.token))
  })

  return router
}

/** RFC 6749 section 5.1. `scope` is always sent, as a refresh may have narrowed it. */
function tokenResponse(pair: TokenPair) {
  return {
    access_token: pair.accessToken,
    token_type: 'Bearer',
    expires_in: pair.expiresIn,
    refresh_token: pair.refreshToken,
    scope: pair.scope,
    refresh_expires_in: pair.refreshExpiresIn,
  }
}

/**
 * RFC 7662 section 2.2. `token_type` is the RFC 6749 section 5.1 type of an access token,
 * "Bearer"; refresh tokens get the minimal fields a resource server could use.
 */
function introspectionResponse(result: TokenIntrospection) {
  if (!result.active) return { active: false }
  if (result.kind === 'refresh_token') {
    return { active: true, client_id: result.clientId, scope: result.scope, sub: result.userId, exp: Math.floor(result.expiresAt.getTime() / 1000) }
  }
  const { sub, client_id, scope, aud, iss, exp, iat, jti, sid } = result.claims
  return { active: true, token_type: 'Bearer', sub, client_id, scope, aud, iss, exp, iat, jti, sid }
}
