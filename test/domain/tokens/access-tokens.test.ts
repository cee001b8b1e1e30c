import { pbkdf2 } from 'node:crypto'
import test from 'ava'
import { SignJWT, compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose'
import { AccessTokens } from '../../../src/domain/tokens/access-tokens.js'
import { KeyRing, type SigningAlgorithm } from '../../../src/domain/tokens/key-ring.js'
import { StaticKeyRingSource } from '../../../src/domain/tokens/key-ring-source.js'
import { TestClock } from '../../helpers/clock.js'

/**
 * Access tokens are signed with node:crypto on the event loop (never on libuv's thread pool, where
 * argon2 runs), and are exactly what jose's SignJWT would write.
 */

async function tokens(alg: SigningAlgorithm) {
  const ring = await KeyRing.fromPrivateJwks([await KeyRing.generatePrivateJwk(alg)])
  const accessTokens = new AccessTokens({ keys: new StaticKeyRingSource(ring), issuer: 'https://latch.test', audience: 'latch', lifetimeSeconds: 300, clock: new TestClock() })
  return { ring, accessTokens }
}

const subject = { userId: 'u1', sessionId: 's1', version: 3, clientId: 'latch-web', scope: 'api', audience: 'latch' }

test('an EdDSA token is byte for byte the one jose SignJWT writes for the same claims', async (t) => {
  const { ring, accessTokens } = await tokens('EdDSA')
  const issued = await accessTokens.issue(subject)
  const signer = ring.active
  const expected = await new SignJWT({ ...issued.claims }).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: signer.kid }).sign(signer.privateKey)
  t.is(issued.token, expected)
  t.deepEqual(await accessTokens.verify(issued.token), issued.claims)
})

test('an ES256 token has the same header and claims, a JOSE (r||s) signature, and verifies', async (t) => {
  const { ring, accessTokens } = await tokens('ES256')
  const issued = await accessTokens.issue(subject)
  t.deepEqual(decodeProtectedHeader(issued.token), { alg: 'ES256', typ: 'at+jwt', kid: ring.active.kid })
  const { payload } = await compactVerify(issued.token, createLocalJWKSet(ring.jwks))
  t.deepEqual(JSON.parse(new TextDecoder().decode(payload)), issued.claims)
  t.is(Buffer.from(issued.token.split('.')[2]!, 'base64url').byteLength, 64)
  t.deepEqual(await accessTokens.verify(issued.token), issued.claims)
})

test('signing does not wait for the thread pool: it completes while every pool thread is busy', async (t) => {
  const { accessTokens } = await tokens('EdDSA')
  await accessTokens.issue(subject) // keys prepared once, outside the measurement
  const order: string[] = []
  // Twice as many slow jobs as libuv has threads (4 by default): anything queued on the pool now
  // would finish after at least some of them.
  const busy = Array.from({ length: 8 }, () => new Promise<void>((resolve) => pbkdf2('x', 'y', 300_000, 32, 'sha256', () => (order.push('pool job'), resolve()))))
  await accessTokens.issue(subject).then(() => order.push('signed'))
  await Promise.all(busy)
  t.is(order[0], 'signed')
})

test('a kid the ring lacks reloads the keys once and verifies against the new ring; a known kid never reloads', async (t) => {
  // The new key is ES256, an algorithm the old ring does not accept at all yet.
  const [oldJwk, newJwk] = await Promise.all([KeyRing.generatePrivateJwk('EdDSA'), KeyRing.generatePrivateJwk('ES256')])
  const before = await KeyRing.fromPrivateJwks([oldJwk])
  const after = await KeyRing.fromPrivateJwks([newJwk, oldJwk])
  let ring = before
  const reloads: string[] = []
  const source = {
    current: () => ring,
    refresh: async () => true,
    refreshForUnknownKid: async (kid: string) => {
      reloads.push(kid)
      ring = after
      return true
    },
  }
  const options = { issuer: 'https://latch.test', audience: 'latch', lifetimeSeconds: 300, clock: new TestClock() }
  const verifier = new AccessTokens({ ...options, keys: source })
  const known = await new AccessTokens({ ...options, keys: new StaticKeyRingSource(before) }).issue(subject)
  const unknown = await new AccessTokens({ ...options, keys: new StaticKeyRingSource(after) }).issue(subject)

  t.deepEqual(await verifier.verify(known.token), known.claims)
  t.deepEqual(reloads, [], 'a kid in the ring: no reload')
  t.deepEqual(await verifier.verify(unknown.token), unknown.claims)
  t.deepEqual(reloads, [after.active.kid], 'one reload, for the kid the ring lacked')
})

test('unknown kids that no reload finds, forged signatures and malformed tokens are invalid_token', async (t) => {
  const { ring, accessTokens } = await tokens('EdDSA')
  const other = await tokens('EdDSA')
  const foreign = await other.accessTokens.issue(subject)
  await t.throwsAsync(accessTokens.verify(foreign.token), { code: 'invalid_token' })
  const [header, payload] = (await accessTokens.issue(subject)).token.split('.')
  const forged = `${header}.${payload}.${foreign.token.split('.')[2]}`
  await t.throwsAsync(accessTokens.verify(forged), { code: 'invalid_token' })
  for (const malformed of ['', 'a.b', 'not a jwt', `${header}.${payload}`]) await t.throwsAsync(accessTokens.verify(malformed), { code: 'invalid_token' }, JSON.stringify(malformed))
  t.truthy(ring.active.kid)
})
