import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import test from 'ava'
import { KeyRing } from '../../src/domain/tokens/key-ring.js'
import { generateKeyVariables, generateStaticKeyVariables, loadKeys } from '../../src/keys/load-keys.js'

/**
 * Secrets: generated into a private file in development, from configuration in production. The
 * file holds the key-encryption key and the refresh-token key, never a signing key.
 */
const temporaryPath = () => join(mkdtempSync(join(tmpdir(), 'latch-keys-')), 'nested', 'keys.json')

test('a development key file is created on first start with mode 0600, holds no signing key, and is reused after', async (t) => {
  const path = temporaryPath()
  const first = await loadKeys({ kind: 'file', path })
  t.is(statSync(path).mode & 0o777, 0o600)
  t.deepEqual(Object.keys(JSON.parse(readFileSync(path, 'utf8'))).sort(), ['keyEncryptionKey', 'refreshTokenKey'])
  const second = await loadKeys({ kind: 'file', path })
  t.is(first.mode, 'database')
  t.deepEqual(second, first)
  if (first.mode !== 'database') return
  t.is(first.keyEncryptionKey.byteLength, 32)
  t.is(first.refreshTokenKey.byteLength, 32)
  t.notDeepEqual(first.keyEncryptionKey, first.refreshTokenKey)
})

test('a key file from before keys moved to the database loses its signing keys and keeps its refresh-token key', async (t) => {
  const path = temporaryPath()
  const refreshTokenKey = Buffer.alloc(32, 7).toString('base64url')
  const signingKey = await KeyRing.generatePrivateJwk('EdDSA')
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify({ signingKeys: [signingKey], refreshTokenKey }), { mode: 0o600 })
  const material = await loadKeys({ kind: 'file', path })
  t.is(material.mode, 'database')
  t.deepEqual(material.refreshTokenKey, Buffer.from(refreshTokenKey, 'base64url'))
  const text = readFileSync(path, 'utf8')
  t.false(text.includes(signingKey.d!), 'the private signing key is gone from the file')
  t.deepEqual(Object.keys(JSON.parse(text)).sort(), ['keyEncryptionKey', 'refreshTokenKey'])
})

test('generate-keys variables configure database-managed keys', async (t) => {
  const variables = await generateKeyVariables('ES256')
  t.deepEqual(Object.keys(variables).sort(), ['LATCH_KEY_ENCRYPTION_KEY', 'LATCH_REFRESH_TOKEN_KEY', 'LATCH_SIGNING_ALG'])
  t.is(variables.LATCH_SIGNING_ALG, 'ES256')
  const material = await loadKeys({ kind: 'environment', keyEncryptionKey: variables.LATCH_KEY_ENCRYPTION_KEY!, refreshTokenKey: variables.LATCH_REFRESH_TOKEN_KEY! })
  t.is(material.mode, 'database')
  if (material.mode === 'database') t.is(material.keyEncryptionKey.byteLength, 32)
})

test('static keys from configuration load and publish public halves only; a malformed set is refused without echoing key material', async (t) => {
  const variables = await generateStaticKeyVariables('ES256')
  const material = await loadKeys({ kind: 'static', signingKeys: variables.LATCH_SIGNING_KEYS!, refreshTokenKey: variables.LATCH_REFRESH_TOKEN_KEY! })
  if (material.mode !== 'static') return t.fail('expected static keys')
  t.is(material.keyRing.active.kid, JSON.parse(variables.LATCH_SIGNING_KEYS!).keys[0].kid)
  for (const key of material.keyRing.jwks.keys) {
    t.is(key.d, undefined)
    t.like(key, { use: 'sig', alg: 'ES256', kty: 'EC' })
  }

  const secret = 'super-secret-d-value'
  const error = await t.throwsAsync(
    loadKeys({ kind: 'static', signingKeys: JSON.stringify({ keys: [{ kty: 'OKP', d: secret }] }), refreshTokenKey: variables.LATCH_REFRESH_TOKEN_KEY! }),
  )
  t.regex(error!.message, /LATCH_SIGNING_KEYS is not a valid key set/)
  t.false(error!.message.includes(secret))
})

test('static keys load from LATCH_SIGNING_KEYS_FILE too; an unreadable or malformed file is refused by name, without its content', async (t) => {
  const variables = await generateStaticKeyVariables('EdDSA')
  const directory = mkdtempSync(join(tmpdir(), 'latch-keys-'))
  const file = join(directory, 'signing-keys.json')
  writeFileSync(file, variables.LATCH_SIGNING_KEYS!, { mode: 0o600 })
  const material = await loadKeys({ kind: 'static', signingKeys: { file }, refreshTokenKey: variables.LATCH_REFRESH_TOKEN_KEY! })
  if (material.mode !== 'static') return t.fail('expected static keys')
  t.is(material.keyRing.active.kid, JSON.parse(variables.LATCH_SIGNING_KEYS!).keys[0].kid)
  t.false(material.keyRing.jwks.keys.some((key) => 'd' in key))

  const missing = await t.throwsAsync(loadKeys({ kind: 'static', signingKeys: { file: join(directory, 'nope.json') }, refreshTokenKey: variables.LATCH_REFRESH_TOKEN_KEY! }))
  t.regex(missing!.message, /^LATCH_SIGNING_KEYS_FILE: cannot read .*nope\.json \(ENOENT\)$/)

  const secret = 'super-secret-d-value'
  const malformed = join(directory, 'malformed.json')
  writeFileSync(malformed, JSON.stringify({ keys: [{ kty: 'OKP', d: secret }] }), { mode: 0o600 })
  const invalid = await t.throwsAsync(loadKeys({ kind: 'static', signingKeys: { file: malformed }, refreshTokenKey: variables.LATCH_REFRESH_TOKEN_KEY! }))
  t.regex(invalid!.message, /LATCH_SIGNING_KEYS_FILE \(.*malformed\.json\) is not a valid key set/)
  t.false(invalid!.message.includes(secret))
})
