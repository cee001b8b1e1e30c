import { createHmac } from 'node:crypto'
import test from 'ava'
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import { eachDatabase } from '../helpers/each-database.js'
import { TestClock } from '../helpers/clock.js'
import { PROVIDERS } from '../helpers/databases.js'
import { registerAndLogin, TEST_ISSUER, TestLatch } from '../helpers/latch.js'

/** GET /me: a local JWT verification plus a live-state check, and nothing forged gets through. */

const base64url = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

eachDatabase((provider, server) => {
  test(`${provider}: /me returns the user behind a valid access token`, async (t) => {
    const user = await registerAndLogin(server())
    const response = await server().get('/me', user.accessToken)
    t.is(response.status, 200)
    t.deepEqual(response.body, { id: user.userId, email: user.email, role: 'user' })
  })

  test(`${provider}: a missing or malformed Authorization header is 401 invalid_token`, async (t) => {
    const user = await registerAndLogin(server())
    for (const authorization of [undefined, `Basic ${user.accessToken}`, 'Bearer', `Bearer ${user.accessToken} extra`]) {
      const response = await server().request('GET', '/me', authorization ? { headers: { authorization } } : {})
      t.is(response.status, 401, String(authorization))
      t.is(response.body.error, 'invalid_token')
    }
  })

  test(`${provider}: alg none, HS256 keyed with the public key, an unknown kid, a foreign key, tampered claims and a wrong typ are all rejected`, async (t) => {
    const user = await registerAndLogin(server())
    const header = decodeProtectedHeader(user.accessToken)
    const claims = decodeJwt(user.accessToken)
    const jwks = (await server().get('/.well-known/jwks.json')).body

    const unsigned = `${base64url({ alg: 'none', typ: 'at+jwt', kid: header.kid })}.${base64url(claims)}.`
    const hsHeader = base64url({ alg: 'HS256', typ: 'at+jwt', kid: header.kid })
    const signingInput = `${hsHeader}.${base64url(claims)}`
    const hsConfused = `${signingInput}.${createHmac('sha256', JSON.stringify(jwks.keys[0])).update(signingInput).digest('base64url')}`
    const hsWithX = `${signingInput}.${createHmac('sha256', Buffer.from(jwks.keys[0].x, 'base64url')).update(signingInput).digest('base64url')}`

    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
    const foreign = await new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: header.kid }).sign(privateKey)
    const unknownKid = await new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'not-in-the-ring' }).sign(privateKey)

    const signer = server().latch.keyRing.active
    const wrongTyp = await new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: signer.kid }).sign(signer.privateKey)
    const resigned = await new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: signer.kid }).sign(signer.privateKey)

    const [headerPart, , signature] = user.accessToken.split('.')
    const tampered = `${headerPart}.${base64url({ ...claims, sub: 'someone-else' })}.${signature}`

    for (const [name, token] of Object.entries({ unsigned, hsConfused, hsWithX, foreign, unknownKid, tampered, wrongTyp })) {
      const response = await server().get('/me', token)
      t.is(response.status, 401, name)
      t.is(response.body.error, 'invalid_token', name)
    }
    t.is((await server().get('/me', user.accessToken)).status, 200, 'the genuine token still works')
    t.is((await server().get('/me', resigned)).status, 200, 'the same claims under the real key and typ pass, so only the fault above was refused')
  })
})

for (const provider of PROVIDERS) {
  test(`${provider}: tokens for another issuer or audience, and expired tokens, are rejected`, async (t) => {
    const clock = new TestClock()
    const server = await TestLatch.start(provider, { clock })
    t.teardown(() => server.close())
    const user = await registerAndLogin(server)
    // The same database, so the same signing keys; a different issuer, audience and client.
    const other = await TestLatch.start(provider, {
      databaseUrl: server.database!.url,
      env: { LATCH_ISSUER: 'https://other.test', LATCH_AUDIENCE: 'elsewhere', LATCH_CLIENT_ID: 'elsewhere-web' },
    })
    t.teardown(() => other.close())
    const foreign = await registerAndLogin(other)
    t.is(decodeProtectedHeader(foreign.accessToken).kid, decodeProtectedHeader(user.accessToken).kid, 'only the claims differ')
    t.is((await server.get('/me', foreign.accessToken)).status, 401)

    clock.advance(300 + 6)
    const expired = await server.get('/me', user.accessToken)
    t.is(expired.status, 401, 'expired beyond the 5 s leeway')
    t.is(decodeJwt(user.accessToken).iss, TEST_ISSUER)
  })

  test(`${provider}: ES256 can be selected instead of EdDSA`, async (t) => {
    const { generateKeyVariables } = await import('../../src/keys/load-keys.js')
    const server = await TestLatch.start(provider, { env: await generateKeyVariables('ES256') })
    t.teardown(() => server.close())
    const user = await registerAndLogin(server)
    t.is(decodeProtectedHeader(user.accessToken).alg, 'ES256')
    t.is((await server.get('/me', user.accessToken)).status, 200)
  })
}
