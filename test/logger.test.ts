import { Writable } from 'node:stream'
import test from 'ava'
import { createLogger, flatLineLogger } from '../src/logger.js'

/** The request-line logger writes what the fully redacting logger would, and still censors secrets. */

function capture() {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  return { lines, logger: createLogger('info', sink) }
}

const withoutTime = ({ time: _time, ...rest }: Record<string, unknown>) => rest

test('a flat line is written exactly as the redacting logger writes it', (t) => {
  const { lines, logger } = capture()
  const line = { requestId: 'r1', method: 'POST', path: '/refresh', status: 401, ms: 3, error: 'invalid_grant', detail: 'refresh: unknown refresh token' }
  logger.info(line, 'request')
  flatLineLogger(logger).info(line, 'request')
  t.is(lines.length, 2)
  t.deepEqual(withoutTime(lines[1]!), withoutTime(lines[0]!))
  t.deepEqual(Object.keys(lines[1]!), Object.keys(lines[0]!), 'same fields in the same order')
})

test('a secret under a top-level key is still censored by the flat-line logger', (t) => {
  const { lines, logger } = capture()
  flatLineLogger(logger).error({ password: 'hunter2', refresh_token: 'latch_rt_x', authorization: 'Bearer x', status: 500 }, 'request failed')
  t.like(lines[0], { password: '[redacted]', refresh_token: '[redacted]', authorization: '[redacted]', status: 500, level: 50 })
})

test('every kind of secret is censored at the top level and one level down', (t) => {
  const { lines, logger } = capture()
  const secrets = {
    password: 'hunter2',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    refresh_token: 'latch_rt_a',
    refreshToken: 'latch_rt_b',
    access_token: 'eyJ.a.b',
    accessToken: 'eyJ.c.d',
    token: 'eyJ.e.f',
    client_secret: 'cs_1',
    clientSecret: 'cs_2',
    secret: 's_3',
    authorization: 'Basic eDp5',
    privateKey: '-----BEGIN PRIVATE KEY-----',
    privateJwk: { kty: 'OKP', d: 'private' },
    keyEncryptionKey: 'kek',
    refreshTokenKey: 'rtk',
  }
  logger.error({ ...secrets, nested: secrets }, 'oops')
  const text = JSON.stringify(lines[0])
  for (const value of ['hunter2', 'aGFzaA', 'latch_rt_', 'eyJ.', 'cs_1', 'cs_2', 's_3', 'eDp5', 'PRIVATE KEY', '"private"', 'kek', 'rtk']) {
    t.false(text.includes(value), `${value} reached the log`)
  }
})
