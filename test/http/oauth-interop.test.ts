import { createPublicKey } from 'node:crypto'
import test from 'ava'
import { createVerifier, type Algorithm, type DecodedJwt } from 'fast-jwt'
import buildGetJwks from 'get-jwks'
import * as oauth from 'openid-client'
import { PROVIDERS } from '../helpers/databases.js'
import { registerAndLogin, TestLatch } from '../helpers/latch.js'

/**
 * Interoperability: a refresh token from /login is rotated by a standard OAuth client library
 * (openid-client, configured by RFC 8414 discovery against Latch's own http issuer), and the new
 * access token is verified by an independent JWT library (fast-jwt, keys fetched by get-jwks),
 * with nothing but the published metadata: no jose, no Latch code on the verifying side.
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
