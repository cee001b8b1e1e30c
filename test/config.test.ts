import test from 'ava'
import { ConfigError, loadConfig } from '../src/config.js'

/** Configuration is read once, validated, and explains how to fix what is wrong. */

test('with nothing set, Latch runs on SQLite with documented defaults', (t) => {
  const config = loadConfig({})
  t.like(config, {
    environment: 'development',
    port: 3000,
    host: '127.0.0.1',
    databaseUrl: 'file:./data/latch.db',
    issuer: 'http://localhost:3000',
    audience: 'latch',
    accessTokenTtl: 300,
    sessionAbsoluteTtl: 30 * 86_400,
    sessionIdleTtl: 7 * 86_400,
    refreshReuseGrace: 10,
    bodyLimit: 16_384,
    registrationOpen: true,
    trustedProxies: 0,
    corsRefreshInterval: 30,
    metrics: null,
  })
  t.deepEqual(config.loginThrottle, { maxFailuresPerAccount: 10, maxFailuresPerAddress: 100, windowSeconds: 900 })
  t.deepEqual(config.keys, { source: { kind: 'file', path: './data/keys.json' }, algorithm: 'EdDSA', publicationDelay: 300, refreshInterval: 30 })
  t.true(Object.isFrozen(config))
})

test('LATCH_TRUST_PROXY is false, true (one proxy) or the number of proxies in front', (t) => {
  t.is(loadConfig({ LATCH_TRUST_PROXY: 'false' }).trustedProxies, 0)
  t.is(loadConfig({ LATCH_TRUST_PROXY: 'true' }).trustedProxies, 1)
  t.is(loadConfig({ LATCH_TRUST_PROXY: '2' }).trustedProxies, 2)
  t.is(loadConfig({ LATCH_TRUST_PROXY: '0' }).trustedProxies, 0)
  for (const value of ['11', 'maybe', '1.5', '-1']) {
    const error = t.throws(() => loadConfig({ LATCH_TRUST_PROXY: value }), { instanceOf: ConfigError })
    t.regex(error!.message, /LATCH_TRUST_PROXY: /, value)
  }
})

test('the access token lifetime must be between 1 and 15 minutes', (t) => {
  t.is(loadConfig({ LATCH_ACCESS_TOKEN_TTL: '60' }).accessTokenTtl, 60)
  t.is(loadConfig({ LATCH_ACCESS_TOKEN_TTL: '900' }).accessTokenTtl, 900)
  for (const value of ['59', '901', 'five', '1.5']) {
    const error = t.throws(() => loadConfig({ LATCH_ACCESS_TOKEN_TTL: value }), { instanceOf: ConfigError })
    t.regex(error!.message, /LATCH_ACCESS_TOKEN_TTL: /)
  }
})

test('every problem is reported at once, by variable name', (t) => {
  const error = t.throws(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LATCH_REGISTRATION: 'maybe' }), { instanceOf: ConfigError })
  for (const name of ['PORT', 'DATABASE_URL', 'LATCH_REGISTRATION']) t.regex(error!.message, new RegExp(`${name}: `))
})

test('production refuses to start without configured keys and issuer, and says how to make keys', (t) => {
  const error = t.throws(() => loadConfig({ NODE_ENV: 'production' }), { instanceOf: ConfigError })
  t.regex(error!.message, /LATCH_KEY_ENCRYPTION_KEY: is required when NODE_ENV=production \(run `npx latch generate-keys`/)
  t.regex(error!.message, /LATCH_REFRESH_TOKEN_KEY: is required when NODE_ENV=production \(run `npx latch generate-keys`/)
  t.regex(error!.message, /LATCH_ISSUER: is required when NODE_ENV=production/)
  t.notRegex(error!.message, /LATCH_SIGNING_KEYS/, 'static keys are an alternative, not a requirement')
})

const secret = (fill: number) => Buffer.alloc(32, fill).toString('base64url')

test('keys live in the database, sealed under a configured key-encryption key; LATCH_SIGNING_KEYS fixes them instead', (t) => {
  const production = { NODE_ENV: 'production', LATCH_ISSUER: 'https://auth.example.com', LATCH_REFRESH_TOKEN_KEY: secret(1) }
  t.deepEqual(loadConfig({ ...production, LATCH_KEY_ENCRYPTION_KEY: secret(2) }).keys.source, {
    kind: 'environment',
    keyEncryptionKey: secret(2),
    refreshTokenKey: secret(1),
  })
  t.like(loadConfig({ ...production, LATCH_SIGNING_KEYS: '{"keys":[]}' }).keys.source, { kind: 'static', signingKeys: '{"keys":[]}' })
  t.throws(() => loadConfig({ ...production, LATCH_SIGNING_KEYS: '{"keys":[]}', LATCH_KEY_ENCRYPTION_KEY: secret(2) }), {
    message: /LATCH_SIGNING_KEYS: fixes the signing keys in configuration and cannot be combined with LATCH_KEY_ENCRYPTION_KEY/,
  })
  t.throws(() => loadConfig({ LATCH_KEY_ENCRYPTION_KEY: secret(2) }), { message: /LATCH_REFRESH_TOKEN_KEY: set LATCH_KEY_ENCRYPTION_KEY and LATCH_REFRESH_TOKEN_KEY together/ })
  t.throws(() => loadConfig({ LATCH_KEY_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64url'), LATCH_REFRESH_TOKEN_KEY: secret(1) }), {
    message: /LATCH_KEY_ENCRYPTION_KEY: must be exactly 32 random bytes/,
  })
})

test('LATCH_SIGNING_KEYS_FILE loads the static signing keys from a file instead, and excludes LATCH_SIGNING_KEYS and LATCH_KEY_ENCRYPTION_KEY', (t) => {
  const production = { NODE_ENV: 'production', LATCH_ISSUER: 'https://auth.example.com', LATCH_REFRESH_TOKEN_KEY: secret(1) }
  t.deepEqual(loadConfig({ ...production, LATCH_SIGNING_KEYS_FILE: '/run/secrets/latch-signing-keys.json' }).keys.source, {
    kind: 'static',
    signingKeys: { file: '/run/secrets/latch-signing-keys.json' },
    refreshTokenKey: secret(1),
  })
  t.throws(() => loadConfig({ ...production, LATCH_SIGNING_KEYS_FILE: '/keys.json', LATCH_SIGNING_KEYS: '{"keys":[]}' }), {
    message: /LATCH_SIGNING_KEYS_FILE: set LATCH_SIGNING_KEYS or LATCH_SIGNING_KEYS_FILE, not both/,
  })
  t.throws(() => loadConfig({ ...production, LATCH_SIGNING_KEYS_FILE: '/keys.json', LATCH_KEY_ENCRYPTION_KEY: secret(2) }), {
    message: /LATCH_SIGNING_KEYS_FILE: fixes the signing keys in configuration and cannot be combined with LATCH_KEY_ENCRYPTION_KEY/,
  })
  t.throws(() => loadConfig({ LATCH_SIGNING_KEYS_FILE: '/keys.json' }), { message: /LATCH_SIGNING_KEYS_FILE: set LATCH_SIGNING_KEYS_FILE and LATCH_REFRESH_TOKEN_KEY together, or neither/ })
  const withoutRefreshKey = t.throws(() => loadConfig({ NODE_ENV: 'production', LATCH_ISSUER: 'https://auth.example.com', LATCH_SIGNING_KEYS_FILE: '/keys.json' }))
  t.regex(withoutRefreshKey!.message, /LATCH_REFRESH_TOKEN_KEY: is required/)
  t.notRegex(withoutRefreshKey!.message, /LATCH_KEY_ENCRYPTION_KEY/, 'the file replaces the key-encryption key')
})

test('the key publication delay (also the JWKS max-age) may be 0; the refresh interval at least 1 second', (t) => {
  t.like(loadConfig({ LATCH_KEY_PUBLICATION_DELAY: '0', LATCH_KEY_REFRESH_INTERVAL: '1' }).keys, { publicationDelay: 0, refreshInterval: 1 })
  t.throws(() => loadConfig({ LATCH_KEY_PUBLICATION_DELAY: '-1' }), { message: /LATCH_KEY_PUBLICATION_DELAY: must be at least 0 seconds/ })
  t.throws(() => loadConfig({ LATCH_KEY_REFRESH_INTERVAL: '0' }), { message: /LATCH_KEY_REFRESH_INTERVAL: must be at least 1 seconds/ })
})

test('the allowed origins are reloaded every 1 to 3600 seconds', (t) => {
  t.is(loadConfig({ LATCH_CORS_REFRESH_INTERVAL: '1' }).corsRefreshInterval, 1)
  t.throws(() => loadConfig({ LATCH_CORS_REFRESH_INTERVAL: '0' }), { message: /LATCH_CORS_REFRESH_INTERVAL: must be at least 1 seconds/ })
  t.throws(() => loadConfig({ LATCH_CORS_REFRESH_INTERVAL: '3601' }), { message: /LATCH_CORS_REFRESH_INTERVAL: must be at most 3600 seconds/ })
})

test('metrics are off unless LATCH_METRICS_PORT is set, listen on 127.0.0.1 by default, and never on the API port', (t) => {
  t.deepEqual(loadConfig({ LATCH_METRICS_PORT: '9464' }).metrics, { port: 9464, host: '127.0.0.1' })
  t.deepEqual(loadConfig({ LATCH_METRICS_PORT: '9464', LATCH_METRICS_HOST: '0.0.0.0' }).metrics, { port: 9464, host: '0.0.0.0' })
  t.is(loadConfig({ LATCH_METRICS_HOST: '0.0.0.0' }).metrics, null, 'a host alone turns nothing on')
  t.throws(() => loadConfig({ PORT: '9464', LATCH_METRICS_PORT: '9464' }), { instanceOf: ConfigError, message: /LATCH_METRICS_PORT: must differ from PORT/ })
  t.throws(() => loadConfig({ LATCH_METRICS_PORT: '3000' }), { message: /LATCH_METRICS_PORT: must differ from PORT/ }, 'PORT defaults to 3000')
  t.throws(() => loadConfig({ LATCH_METRICS_PORT: '65536' }), { message: /LATCH_METRICS_PORT/ })
  t.throws(() => loadConfig({ LATCH_METRICS_PORT: 'on' }), { message: /LATCH_METRICS_PORT: must be a port number/ })
})

test('the idle lifetime cannot exceed the absolute lifetime', (t) => {
  t.throws(() => loadConfig({ LATCH_SESSION_IDLE_TTL: '7200', LATCH_SESSION_ABSOLUTE_TTL: '3600' }), { message: /LATCH_SESSION_IDLE_TTL: must not exceed/ })
})

test('empty variables mean the default', (t) => {
  t.is(loadConfig({ PORT: '', LATCH_ACCESS_TOKEN_TTL: '' }).port, 3000)
})
