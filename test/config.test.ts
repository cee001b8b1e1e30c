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
    trustProxy: false,
  })
  t.deepEqual(config.keys, { kind: 'file', path: './data/keys.json', algorithm: 'EdDSA' })
  t.true(Object.isFrozen(config))
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
  t.regex(error!.message, /LATCH_SIGNING_KEYS: is required when NODE_ENV=production \(run `npx latch generate-keys`/)
  t.regex(error!.message, /LATCH_REFRESH_TOKEN_KEY/)
  t.regex(error!.message, /LATCH_ISSUER/)
})

test('the idle lifetime cannot exceed the absolute lifetime', (t) => {
  t.throws(() => loadConfig({ LATCH_SESSION_IDLE_TTL: '7200', LATCH_SESSION_ABSOLUTE_TTL: '3600' }), { message: /LATCH_SESSION_IDLE_TTL: must not exceed/ })
})

test('empty variables mean the default', (t) => {
  t.is(loadConfig({ PORT: '', LATCH_ACCESS_TOKEN_TTL: '' }).port, 3000)
})
