import type Router from '@koa/router'
import type { OperationSpecs } from '../openapi.js'
import { createRouter } from '../router.js'

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none']

export const oauthMetadataOperations: OperationSpecs = {
  'GET /.well-known/oauth-authorization-server': {
    summary: 'Authorization server metadata (RFC 8414): the endpoints, grants and authentication methods Latch supports',
    tag: 'discovery',
    responses: { 200: { description: 'RFC 8414 metadata', schema: { type: 'object', required: ['issuer', 'token_endpoint', 'jwks_uri', 'response_types_supported'] } } },
  },
}

/**
 * RFC 8414 metadata, stating only what is true of Latch:
 * - no authorization endpoint: users log in with /login, Latch's own JSON API, so
 *   `response_types_supported` (required by RFC 8414) is empty and no PKCE methods are listed;
 * - the token endpoint serves the refresh_token grant alone (the password check behind /login is
 *   not the OAuth password grant);
 * - no ID tokens, so no /.well-known/openid-configuration alias either: an OpenID Provider document
 *   must name an authorization endpoint, subject types and ID token algorithms, none of which Latch
 *   has, and OpenID clients that found one would expect them. OAuth clients discover RFC 8414
 *   metadata directly (openid-client: `algorithm: 'oauth2'`).
 * `access_token_signing_alg_values_supported` is read from the key ring on each request, so a key
 * rotation that changes the algorithm shows at once.
 */
export function oauthMetadataRoutes(deps: { issuer: string; signingAlgorithms: () => readonly string[] }): Router {
  const base = deps.issuer.replace(/\/+$/, '')
  const router = createRouter()
  router.get('/.well-known/oauth-authorization-server', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300')
    ctx.body = {
      issuer: deps.issuer,
      token_endpoint: `${base}/oauth/token`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      response_types_supported: [],
      grant_types_supported: ['refresh_token'],
      token_endpoint_auth_methods_supported: AUTH_METHODS,
      revocation_endpoint: `${base}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: AUTH_METHODS,
      introspection_endpoint: `${base}/oauth/introspect`,
      // Introspection answers confidential clients only, so `none` is not offered.
      introspection_endpoint_auth_methods_supported: AUTH_METHODS.filter((method) => method !== 'none'),
      access_token_signing_alg_values_supported: [...deps.signingAlgorithms()],
      // Latch's revocation feed (docs/revocation-feed.md), for edges that verify tokens locally.
      latch_events_endpoint: `${base}/events`,
      latch_events_stream_endpoint: `${base}/events/stream`,
    }
  })
  return router
}
