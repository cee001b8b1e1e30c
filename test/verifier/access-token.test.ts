import test from 'ava'
import { SignJWT, base64url, createLocalJWKSet, type JWTVerifyGetKey } from 'jose'
import { verifyAccessToken } from '../../src/verifier/access-token.js'
import { VerifierError } from '../../src/verifier/errors.js'
import { FeedFixture, generateSigningKey, type SigningKey } from '../helpers/feed-fixture.js'

/**
 * Local verification of access tokens: only a signature by a key of the JWKS, under that key's
 * algorithm, with typ at+jwt, the issuer, the audience, a live exp and Latch's claims, passes.
 * Tokens are signed for real; the JWKS is the fixture's public keys.
 */

let fixture: FeedFixture
let keys: JWTVerifyGetKey
let stranger: SigningKey

test.before(async () => {
  fixture = await FeedFixture.start()
  keys = createLocalJWKSet({ keys: fixture.keys.map((key) => key.publicJwk) })
  stranger = await generateSigningKey()
})
test.after.always(() => fixture.close())

const rules = () => ({ issuer: fixture.issuer, audience: fixture.audience, leewaySeconds: 5 })

async function refusal(token: string, now = new Date()): Promise<string> {
  try {
    await verifyAccessToken(token, keys, rules(), now)
    return 'accepted'
  } catch (error) {
    if (!(error instanceof VerifierError)) throw error
    const signature = token.split('.')[2] ?? ''
    if ((token.length > 0 && error.message.includes(token)) || (signature.length > 8 && error.message.includes(signature))) throw new Error('an error message carries the token')
    return `${error.code}/${error.reason}`
  }
}

test('a token signed by a published key with every claim is accepted, claims frozen', async (t) => {
  const session = fixture.session({ ver: 2 })
  const claims = await verifyAccessToken(await fixture.accessToken(session), keys, rules(), new Date())
  t.like(claims, { iss: fixture.issuer, aud: fixture.audience, sub: session.sub, sid: session.sid, ver: 2, scope: 'orders' })
  t.true(Object.isFrozen(claims))
})

test('an ES256 key works as well as EdDSA', async (t) => {
  const es256 = await generateSigningKey('ES256')
  const both = createLocalJWKSet({ keys: [fixture.signer.publicJwk, es256.publicJwk] })
  const token = await fixture.accessToken(fixture.session(), {}, {}, es256)
  t.like(await verifyAccessToken(token, both, rules(), new Date()), { iss: fixture.issuer })
})

test('an unsigned token (alg none) is refused', async (t) => {
  const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: fixture.signer.kid }))
  const payload = (await fixture.accessToken(fixture.session())).split('.')[1]
  t.is(await refusal(`${header}.${payload}.`), 'invalid_token/signature')
})

test('HS256 keyed with the public key is refused', async (t) => {
  const signed = await fixture.accessToken(fixture.session())
  const payload = JSON.parse(new TextDecoder().decode(base64url.decode(signed.split('.')[1]!)))
  for (const secret of [JSON.stringify(fixture.signer.publicJwk), fixture.signer.publicJwk.x!]) {
    const forged = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: fixture.signer.kid }).sign(new TextEncoder().encode(secret))
    t.is(await refusal(forged), 'invalid_token/signature')
  }
})

test('a token signed by an unknown key, or by another key under a published kid, is refused', async (t) => {
  t.is(await refusal(await fixture.accessToken(fixture.session(), {}, {}, stranger)), 'invalid_token/signature')
  t.is(await refusal(await fixture.accessToken(fixture.session(), {}, { kid: fixture.signer.kid }, stranger)), 'invalid_token/signature')
})

test('a tampered payload is refused', async (t) => {
  const [header, , signature] = (await fixture.accessToken(fixture.session())).split('.')
  const payload = base64url.encode(JSON.stringify({ iss: fixture.issuer, aud: fixture.audience, sub: 'admin', sid: 's', ver: 0, jti: 'j', exp: 4102444800 }))
  t.is(await refusal(`${header}.${payload}.${signature}`), 'invalid_token/signature')
})

test('a JWT that is not an access token (typ secevent+jwt, JWT, or none) is refused', async (t) => {
  for (const typ of ['secevent+jwt', 'JWT', undefined]) {
    t.is(await refusal(await fixture.accessToken(fixture.session(), {}, { typ })), 'invalid_token/claims', String(typ))
  }
})

test('a token of another issuer or for another audience is refused', async (t) => {
  t.is(await refusal(await fixture.accessToken(fixture.session(), { iss: 'https://elsewhere.example' })), 'invalid_token/claims')
  t.is(await refusal(await fixture.accessToken(fixture.session(), { aud: 'https://payments.example.com' })), 'invalid_token/claims')
  t.is(await refusal(await fixture.accessToken(fixture.session(), { aud: undefined })), 'invalid_token/claims')
})

test('expiry is enforced with the leeway, and only the leeway', async (t) => {
  const token = await fixture.accessToken(fixture.session())
  const exp = JSON.parse(new TextDecoder().decode(base64url.decode(token.split('.')[1]!))).exp as number
  t.is(await refusal(token, new Date((exp + 5) * 1000 - 1)), 'accepted', 'within 5 s of exp')
  t.is(await refusal(token, new Date((exp + 5) * 1000)), 'invalid_token/expired')
})

test('a token without sub, sid, ver, jti or exp, or with them of the wrong type, is refused', async (t) => {
  for (const claim of ['sub', 'sid', 'ver', 'jti', 'exp']) {
    t.is(await refusal(await fixture.accessToken(fixture.session(), { [claim]: undefined })), 'invalid_token/claims', `without ${claim}`)
  }
  t.is(await refusal(await fixture.accessToken(fixture.session(), { ver: '1' })), 'invalid_token/claims', 'ver as a string')
  t.is(await refusal(await fixture.accessToken(fixture.session(), { ver: 1.5 })), 'invalid_token/claims', 'ver not an integer')
  t.is(await refusal(await fixture.accessToken(fixture.session(), { sid: 42 })), 'invalid_token/claims', 'sid as a number')
})

test('garbage is malformed', async (t) => {
  for (const token of ['', 'abc', 'a.b.c', 'x'.repeat(20_000)]) t.is(await refusal(token), 'invalid_token/malformed')
})
