import test from 'ava'
import { eachDatabase } from '../helpers/each-database.js'
import { TEST_ISSUER } from '../helpers/latch.js'

/** GET /.well-known/oauth-authorization-server: RFC 8414 metadata that claims only what Latch does. */

eachDatabase((provider, server) => {
  test(`${provider}: the metadata names the issuer, the OAuth endpoints and what they accept`, async (t) => {
    const response = await server().get('/.well-known/oauth-authorization-server')
    t.is(response.status, 200)
    t.regex(response.headers.get('content-type')!, /^application\/json/)
    const jwks = await server().get('/.well-known/jwks.json')
    const algorithms = [...new Set<string>(jwks.body.keys.map((key: { alg: string }) => key.alg))]
    t.deepEqual(response.body, {
      issuer: TEST_ISSUER,
      token_endpoint: `${TEST_ISSUER}/oauth/token`,
      jwks_uri: `${TEST_ISSUER}/.well-known/jwks.json`,
      response_types_supported: [],
      grant_types_supported: ['refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint: `${TEST_ISSUER}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint: `${TEST_ISSUER}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      access_token_signing_alg_values_supported: algorithms,
      latch_events_endpoint: `${TEST_ISSUER}/events`,
      latch_events_stream_endpoint: `${TEST_ISSUER}/events/stream`,
    })
    t.deepEqual(algorithms, ['EdDSA'], 'the algorithms are those of the key ring')
  })

  test(`${provider}: every advertised endpoint is served at the path the metadata names`, async (t) => {
    const { body } = await server().get('/.well-known/oauth-authorization-server')
    for (const name of ['token_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'jwks_uri']) {
      const path = new URL(body[name]).pathname
      const response = name === 'jwks_uri' ? await server().get(path) : await server().request('POST', path, { body: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      t.not(response.status, 404, name)
      t.not(response.status, 405, name)
    }
  })

  test(`${provider}: there is no OpenID Connect discovery alias, as Latch issues no ID tokens`, async (t) => {
    const response = await server().get('/.well-known/openid-configuration')
    t.is(response.status, 404)
  })
})
