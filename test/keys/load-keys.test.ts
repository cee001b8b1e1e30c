import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { generateKeyVariables, loadKeys } from '../../src/keys/load-keys.js'

/** Key material: generated into a private file in development, from configuration in production. */
const temporaryPath = () => join(mkdtempSync(join(tmpdir(), 'latch-keys-')), 'nested', 'keys.json')

test('a development key file is created on first start with mode 0600 and reused after', async (t) => {
  const path = temporaryPath()
  const first = await loadKeys({ kind: 'file', path, algorithm: 'EdDSA' })
  t.is(statSync(path).mode & 0o777, 0o600)
  const second = await loadKeys({ kind: 'file', path, algorithm: 'EdDSA' })
  t.is(second.keyRing.active.kid, first.keyRing.active.kid)
  t.deepEqual(second.refreshTokenKey, first.refreshTokenKey)
  t.is(first.refreshTokenKey.byteLength, 32)
})

test('switching the algorithm puts a new signing key first and keeps the old one for verification', async (t) => {
  const path = temporaryPath()
  const before = await loadKeys({ kind: 'file', path, algorithm: 'EdDSA' })
  const after = await loadKeys({ kind: 'file', path, algorithm: 'ES256' })
  t.is(after.keyRing.active.alg, 'ES256')
  t.deepEqual(after.keyRing.jwks.keys.map((key) => key.kid), [after.keyRing.active.kid, before.keyRing.active.kid])
  t.deepEqual(after.refreshTokenKey, before.refreshTokenKey)
})

test('the published JWKS holds public halves only', async (t) => {
  const { keyRing } = await loadKeys({ kind: 'file', path: temporaryPath(), algorithm: 'ES256' })
  for (const key of keyRing.jwks.keys) {
    t.is(key.d, undefined)
    t.like(key, { use: 'sig', alg: 'ES256', kty: 'EC' })
  }
})

test('keys from configuration load, and a malformed set is refused without echoing key material', async (t) => {
  const variables = await generateKeyVariables('EdDSA')
  const { keyRing } = await loadKeys({ kind: 'environment', signingKeys: variables.LATCH_SIGNING_KEYS!, refreshTokenKey: variables.LATCH_REFRESH_TOKEN_KEY! })
  t.is(keyRing.active.kid, JSON.parse(variables.LATCH_SIGNING_KEYS!).keys[0].kid)

  const secret = 'super-secret-d-value'
  const error = await t.throwsAsync(
    loadKeys({ kind: 'environment', signingKeys: JSON.stringify({ keys: [{ kty: 'OKP', d: secret }] }), refreshTokenKey: variables.LATCH_REFRESH_TOKEN_KEY! }),
  )
  t.regex(error!.message, /LATCH_SIGNING_KEYS is not a valid key set/)
  t.false(error!.message.includes(secret))
})
