/**
 * The peer: node-oidc-provider (npm oidc-provider, the Koa + jose OAuth server) configured for the
 * same job as Latch's /refresh: a public client (no client authentication, like a first-party
 * SPA), refresh-token rotation on every use (`rotateRefreshToken: true`), and EdDSA JWT access
 * tokens (typ at+jwt) for one API through resource indicators, signed with the same Ed25519 key
 * Latch uses. Storage is its in-memory adapter. Listens on $PORT.
 *
 * Initial refresh tokens come from `mint`: a Grant and a RefreshToken created in-process with the
 * provider's own models, which is what its authorization-code exchange would store (the
 * interactive login in front of that is not what is measured). Everything measured is HTTP
 * POST /token with grant_type=refresh_token.
 */
import { once } from 'node:events'
import Provider, { type ClientMetadata } from 'oidc-provider'
import { serveRpc } from './rpc.js'

const RESOURCE = 'urn:latch:api'
const CLIENT_ID = 'latch-web'
const signingKeys = JSON.parse(process.env.LATCH_SIGNING_KEYS!) as { keys: Record<string, unknown>[] }

const client: ClientMetadata = {
  client_id: CLIENT_ID,
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1/callback'],
  id_token_signed_response_alg: 'EdDSA',
}

const provider = new Provider(process.env.LATCH_ISSUER!, {
  clients: [client],
  jwks: { keys: signingKeys.keys as never },
  cookies: { keys: ['bench-only-cookie-key'] },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  rotateRefreshToken: true,
  scopes: ['api', 'offline_access'],
  ttl: { AccessToken: 300, RefreshToken: 30 * 86_400, Grant: 30 * 86_400 },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: process.env.LATCH_AUDIENCE!,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 300,
        jwt: { sign: { alg: 'EdDSA' } },
      }),
    },
  },
})

let serverErrors = 0
let firstServerError = ''
provider.on('server_error', (_ctx, error) => {
  serverErrors += 1
  firstServerError ||= error.stack ?? String(error)
})

const server = provider.listen(Number(process.env.PORT))
await once(server, 'listening')
process.on('SIGTERM', () => server.close(() => process.exit(0)))

let accounts = 0
serveRpc({
  /** `count` fresh refresh tokens, each of its own grant (one per client chain). */
  async mint(params: { count: number }) {
    const registered = await provider.Client.find(CLIENT_ID)
    return Promise.all(
      Array.from({ length: params.count }, async () => {
        const accountId = `account-${++accounts}`
        const grant = new provider.Grant({ accountId, clientId: CLIENT_ID })
        grant.addOIDCScope('offline_access')
        grant.addResourceScope(RESOURCE, 'api')
        const grantId = await grant.save()
        const token = new provider.RefreshToken({
          accountId,
          client: registered!,
          grantId,
          scope: 'offline_access api',
          resource: RESOURCE,
          gty: 'authorization_code',
          expiresWithSession: false,
        })
        return token.save()
      }),
    )
  },
  serverErrors() {
    return { count: serverErrors, first: firstServerError }
  },
})
