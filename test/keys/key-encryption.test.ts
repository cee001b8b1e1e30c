import { randomBytes } from 'node:crypto'
import test from 'ava'
import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import { KeyDecryptionError, KeyEncryption } from '../../src/domain/tokens/key-encryption.js'
import { KeyRing } from '../../src/domain/tokens/key-ring.js'
import { generateKeyVariables } from '../../src/keys/load-keys.js'
import { PROVIDERS } from '../helpers/databases.js'
import { TestLatch } from '../helpers/latch.js'

/** Private signing keys are stored sealed with AES-256-GCM under the key-encryption key, bound to their kid. */

const encryption = () => new KeyEncryption(randomBytes(32))

test('a sealed key opens to the same JWK, in the versioned v1.<iv>.<ciphertext>.<tag> format, and never shows d', async (t) => {
  const kek = encryption()
  const jwk = await KeyRing.generatePrivateJwk('ES256')
  const sealed = kek.seal(jwk.kid!, jwk)
  t.regex(sealed, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/)
  t.false(sealed.includes(jwk.d!))
  t.deepEqual(kek.open(jwk.kid!, sealed), jwk)
  t.not(kek.seal(jwk.kid!, jwk), sealed, 'a fresh IV each time')
})

test('another key-encryption key cannot open it, and the error names the kid but no key material', async (t) => {
  const jwk = await KeyRing.generatePrivateJwk('EdDSA')
  const sealed = encryption().seal(jwk.kid!, jwk)
  const error = t.throws(() => encryption().open(jwk.kid!, sealed), { instanceOf: KeyDecryptionError })
  t.true(error!.message.includes(jwk.kid!))
  t.false(error!.message.includes(jwk.d!))
  t.false(error!.message.includes(sealed))
})

test('any altered part of the ciphertext is refused', async (t) => {
  const kek = encryption()
  const jwk = await KeyRing.generatePrivateJwk('EdDSA')
  const sealed = kek.seal(jwk.kid!, jwk)
  const parts = sealed.split('.')
  for (const index of [1, 2, 3]) {
    const bytes = Buffer.from(parts[index]!, 'base64url')
    bytes[0]! ^= 0x01
    const tampered = parts.map((part, at) => (at === index ? bytes.toString('base64url') : part)).join('.')
    t.throws(() => kek.open(jwk.kid!, tampered), { instanceOf: KeyDecryptionError }, `part ${index}`)
  }
  t.throws(() => kek.open(jwk.kid!, `v2.${parts.slice(1).join('.')}`), { instanceOf: KeyDecryptionError, message: /unknown sealed-key format/ })
  t.throws(() => kek.open(jwk.kid!, parts.slice(0, 3).join('.')), { instanceOf: KeyDecryptionError })
})

test('a ciphertext moved onto another kid is refused: the kid is authenticated data', async (t) => {
  const kek = encryption()
  const [first, second] = await Promise.all([KeyRing.generatePrivateJwk('EdDSA'), KeyRing.generatePrivateJwk('EdDSA')])
  t.throws(() => kek.open(second!.kid!, kek.seal(first!.kid!, first!)), { instanceOf: KeyDecryptionError })
})

test('the key-encryption key must be 32 bytes', (t) => {
  t.throws(() => new KeyEncryption(randomBytes(16)), { instanceOf: RangeError })
})

for (const provider of PROVIDERS) {
  test(`${provider}: a replica refuses stored keys whose ciphertexts were swapped between rows, and keeps signing with what it had`, async (t) => {
    const keys = await generateKeyVariables('EdDSA')
    const server = await TestLatch.start(provider, { env: keys })
    t.teardown(() => server.close())
    const prisma = server.latch.database.prisma
    const first = server.latch.keyRing.active.kid
    await server.latch.core.rotateSigningKey({}, OPERATOR_CONTEXT)
    const rows = await prisma.signingKey.findMany({ orderBy: { createdAt: 'asc' } })
    t.is(rows.length, 2)
    await prisma.signingKey.update({ where: { kid: rows[0]!.kid }, data: { privateJwk: rows[1]!.privateJwk } })
    await prisma.signingKey.update({ where: { kid: rows[1]!.kid }, data: { privateJwk: rows[0]!.privateJwk } })

    t.false(await server.latch.keys.refresh(), 'the reload fails')
    t.true(server.logs.some((line) => line.includes('could not reload the signing keys') && line.includes('KeyDecryptionError')))
    t.is(server.latch.keyRing.active.kid, first, 'the last good ring stays in force')

    const restart = TestLatch.start(provider, { databaseUrl: server.database!.url, env: keys })
    await t.throwsAsync(restart, { instanceOf: KeyDecryptionError, message: /cannot be decrypted/ }, 'nor does a replica starting now')
  })
}
