import test from 'ava'
import { SignJWT, base64url, createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey } from 'jose'
import { verifySecurityEvent } from '../../src/verifier/security-event.js'
import { EVENT, FeedFixture, generateSigningKey, type SigningKey } from '../helpers/feed-fixture.js'

/**
 * Security Event Tokens of the feed are verified before they count: signature against the JWKS,
 * typ secevent+jwt, iss, exactly one known event. Each of these is signed for real.
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

const options = () => ({ issuer: fixture.issuer })
const user = (sub = 'alice') => ({ format: 'iss_sub', iss: fixture.issuer, sub })
const expiresAt = Math.floor(Date.UTC(2030, 0, 1) / 1000)

test('each kind of entry decodes into its revocation', async (t) => {
  const cases = [
    [{ kind: 'session', sub: 'alice', sid: 's1', expiresAt }, { kind: 'session', sub: 'alice', sid: 's1', reason: 'logout' }],
    [{ kind: 'user_version', sub: 'alice', minVer: 7, expiresAt }, { kind: 'user_version', sub: 'alice', minVer: 7, reason: 'logout_all' }],
    [{ kind: 'user_disabled', sub: 'alice', expiresAt }, { kind: 'user_disabled', sub: 'alice', reason: 'account_locked' }],
    [{ kind: 'user_enabled', sub: 'alice', expiresAt }, { kind: 'user_enabled', sub: 'alice', reason: null }],
    [{ kind: 'access_token', sub: 'alice', jti: 'at-1', expiresAt }, { kind: 'access_token', sub: 'alice', jti: 'at-1', reason: 'token_revoked' }],
  ] as const
  let cursor = 100
  for (const [entry, expected] of cases) {
    cursor += 1
    const verdict = await verifySecurityEvent(await fixture.entrySet(String(cursor), entry), keys, { ...options(), cursor: String(cursor) })
    t.deepEqual(verdict, { ok: true, revocation: { ...expected, cursor: String(cursor), expiresAt: expiresAt * 1000 } }, entry.kind)
  }
})

async function reasonFor(set: string, cursor?: string): Promise<string> {
  const verdict = await verifySecurityEvent(set, keys, { ...options(), ...(cursor ? { cursor } : {}) })
  return verdict.ok ? 'accepted' : verdict.reason
}

const validClaims = () => ({ jti: '7', sub_id: user(), events: { [EVENT.accountDisabled]: { event_timestamp: 1, latch_expires_at: expiresAt } } })

test('a SET signed by another key under a published kid is ignored as a bad signature', async (t) => {
  t.is(await reasonFor(await fixture.signSet(validClaims(), { kid: fixture.signer.kid }, stranger)), 'signature')
})

test('a SET signed by a key that is not in the JWKS is ignored', async (t) => {
  t.is(await reasonFor(await fixture.signSet(validClaims(), {}, stranger)), 'signature')
})

test('an unsigned SET (alg none) is ignored', async (t) => {
  const unsigned = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'secevent+jwt' }))}.${base64url.encode(JSON.stringify({ iss: fixture.issuer, iat: 1, ...validClaims() }))}.`
  t.is(await reasonFor(unsigned), 'signature')
})

test('a SET MACed with HS256 keyed by the public key is ignored', async (t) => {
  const secret = new TextEncoder().encode(JSON.stringify(fixture.signer.publicJwk))
  const forged = await new SignJWT({ iss: fixture.issuer, iat: 1, ...validClaims() }).setProtectedHeader({ alg: 'HS256', typ: 'secevent+jwt', kid: fixture.signer.kid }).sign(secret)
  t.is(await reasonFor(forged), 'signature')
})

test('a SET from another issuer is ignored', async (t) => {
  t.is(await reasonFor(await fixture.signSet({ ...validClaims(), iss: 'https://elsewhere.example' })), 'issuer')
})

test('a JWT that is not a SET (typ at+jwt, or none) is ignored', async (t) => {
  t.is(await reasonFor(await fixture.signSet(validClaims(), { typ: 'at+jwt' })), 'typ')
  t.is(await reasonFor(await fixture.signSet(validClaims(), { typ: undefined })), 'typ')
})

test('a SET with an unknown event type, several events or none is ignored', async (t) => {
  t.is(await reasonFor(await fixture.signSet({ ...validClaims(), events: { 'https://schemas.openid.net/secevent/caep/event-type/credential-change': { latch_expires_at: expiresAt } } })), 'event_type')
  t.is(
    await reasonFor(
      await fixture.signSet({ ...validClaims(), events: { [EVENT.accountDisabled]: { latch_expires_at: expiresAt }, [EVENT.accountEnabled]: { latch_expires_at: expiresAt } } }),
    ),
    'event_type',
  )
  t.is(await reasonFor(await fixture.signSet({ ...validClaims(), events: {} })), 'event_type')
  t.is(await reasonFor(await fixture.signSet({ jti: '7', sub_id: user() })), 'event_type')
})

test('a SET whose event or subject lacks what its kind needs is ignored', async (t) => {
  const event = (type: string, payload: Record<string, unknown>, subject: unknown = user()) => fixture.signSet({ jti: '7', sub_id: subject, events: { [type]: payload } })
  t.is(await reasonFor(await event(EVENT.accountDisabled, { event_timestamp: 1 })), 'payload', 'no latch_expires_at')
  t.is(await reasonFor(await event(EVENT.sessionRevoked, { latch_expires_at: expiresAt })), 'payload', 'a user subject without latch_min_ver')
  t.is(await reasonFor(await event(EVENT.sessionRevoked, { latch_expires_at: expiresAt }, { format: 'complex', user: user() })), 'payload', 'a complex subject without its session')
  t.is(await reasonFor(await event(EVENT.accessTokenRevoked, { latch_expires_at: expiresAt })), 'payload', 'no jti of the access token')
  t.is(await reasonFor(await event(EVENT.accountDisabled, { latch_expires_at: expiresAt }, { format: 'iss_sub', iss: 'https://elsewhere.example', sub: 'alice' })), 'payload', "another issuer's subject")
  t.is(await reasonFor(await fixture.signSet({ ...validClaims(), jti: 'abc' })), 'payload', 'a jti that is no cursor')
})

test('a SET delivered under a cursor other than its jti is ignored', async (t) => {
  t.is(await reasonFor(await fixture.signSet(validClaims()), '8'), 'cursor')
  t.is(await reasonFor(await fixture.signSet(validClaims()), '7'), 'accepted')
})

test('garbage is ignored as malformed', async (t) => {
  t.is(await reasonFor('not a jwt'), 'malformed')
  t.is(await reasonFor('a.b.c'), 'malformed')
})

test('a SET that cannot be judged because the JWKS is unreachable is no verdict: it throws, to be retried', async (t) => {
  const remote = createRemoteJWKSet(new URL(`${fixture.issuer}/.well-known/jwks.json`))
  fixture.jwksDown = true
  try {
    await t.throwsAsync(verifySecurityEvent(await fixture.signSet(validClaims()), remote, options()))
  } finally {
    fixture.jwksDown = false
  }
  t.like(await verifySecurityEvent(await fixture.signSet(validClaims()), remote, options()), { ok: true })
})
