import { createPublicKey } from 'node:crypto'
import test from 'ava'
import { createVerifier, type Algorithm, type DecodedJwt } from 'fast-jwt'
import buildGetJwks from 'get-jwks'
import * as oauth from 'openid-client'
import { PROVIDERS } from '../helpers/databases.js'
import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import { registerAndLogin, TestLatch } from '../helpers/latch.js'

/**
 * Interoperability: a refresh token from /login is rotated by a standard OAuth client library
 * (openid-client, configured by RFC 8414 discovery against Latch's own http issuer), and the new
 * access token is verified by an independent JWT library (fast-jwt, keys fetched by get-jwks),
 * with nothing but the published metadata: no jose, no Latch code on the verifying side. A
 * confidential client (a resource server) introspects and revokes through the same library,
 * authenticating with client_secret_basic.
 */

for (const provider of PROVIDERS) {
  test(`${provider}: openid-client refreshes through discovered metadata and fast-jwt verifies the result from jwks_uri`, async (t) => {
    const server = await TestLatch.start(provider, { selfIssuer: true })
    t.teardown(() => server.close())
    const user = await registerAndLogin(server)

    // Plain http is allowed for this loopback issuer only, by openid-client's documented option.
    const config = await oauth.discovery(new URL(server.url), 'latch-web', undefined, oauth.None(), {
      algorithm: 'oauth2',
      execute: [oauth.allowInsecureRequests],
    })
    const tokens = await oauth.refreshTokenGrant(config, user.refreshToken)
    t.is(tokens.token_type, 'bearer')
    t.is(tokens.scope, 'api')
    t.not(tokens.refresh_token, user.refreshToken)
    t.truthy(tokens.expires_in)

    const metadata = config.serverMetadata()
    const jwksUri = new URL(metadata.jwks_uri!)
    const getJwks = buildGetJwks({ issuersWhitelist: [metadata.issuer], jwksPath: jwksUri.pathname })
    const verify = createVerifier({
      complete: true,
      algorithms: metadata.access_token_signing_alg_values_supported as Algorithm[],
      allowedIss: metadata.issuer,
      allowedAud: 'latch',
      key: async ({ header }: DecodedJwt) => {
        const jwk = await getJwks.getJwk({ domain: metadata.issuer, alg: header.alg, kid: header.kid })
        const { domain: _domain, ...publicJwk } = jwk
        return createPublicKey({ key: publicJwk, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString()
      },
    })
    const verified = await verify(tokens.access_token)
    t.is(verified.header.typ, 'at+jwt')
    t.like(verified.payload, { iss: server.url, sub: user.userId, aud: 'latch', client_id: 'latch-web', scope: 'api' })

    const tampered = tokens.access_token.slice(0, -4) + (tokens.access_token.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    await t.throwsAsync(verify(tampered), undefined, 'the independent verifier does check the signature')
    const again = await oauth.refreshTokenGrant(config, tokens.refresh_token!)
    t.truthy(again.access_token, 'the rotated refresh token works through the library too')
  })
}

for (const provider of PROVIDERS) {
  test(`${provider}: a confidential client introspects and revokes with openid-client, authenticating with client_secret_basic`, async (t) => {
    const server = await TestLatch.start(provider, { selfIssuer: true })
    t.teardown(() => server.close())
    const user = await registerAndLogin(server)
    // A resource server for Latch's own audience: the tokens /login issues are presented to it.
    const { client, secret } = await server.latch.core.createClient({ name: 'Orders API', type: 'confidential' }, OPERATOR_CONTEXT)

    const config = await oauth.discovery(new URL(server.url), client.id, undefined, oauth.ClientSecretBasic(secret!), {
      algorithm: 'oauth2',
      execute: [oauth.allowInsecureRequests],
    })

    const access = await oauth.tokenIntrospection(config, user.accessToken)
    t.like(access, { active: true, token_type: 'Bearer', sub: user.userId, client_id: 'latch-web', aud: 'latch', iss: server.url, scope: 'api' })
    const refresh = await oauth.tokenIntrospection(config, user.refreshToken)
    t.like(refresh, { active: true, client_id: 'latch-web', sub: user.userId })

    await oauth.tokenRevocation(config, user.accessToken, { token_type_hint: 'access_token' })
    t.deepEqual(await oauth.tokenIntrospection(config, user.accessToken), { active: false })
    t.is((await server.get('/me', user.accessToken)).status, 401, 'the revocation holds for Latch itself too')
    t.like(await oauth.tokenIntrospection(config, user.refreshToken), { active: true }, 'the session behind it is the app\'s and lives on')

    // A wrong secret is refused the way the library understands: a 401 with a Basic challenge.
    const impostor = await oauth.discovery(new URL(server.url), client.id, undefined, oauth.ClientSecretBasic('latch_cs_wrong'), {
      algorithm: 'oauth2',
      execute: [oauth.allowInsecureRequests],
    })
    const refused = await t.throwsAsync(oauth.tokenIntrospection(impostor, user.accessToken))
    t.like(refused, { code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE', status: 401 })
    t.deepEqual((refused as Error & { cause: unknown }).cause, [{ scheme: 'basic', parameters: { realm: 'latch' } }])
  })
}
