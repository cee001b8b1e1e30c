import test from 'ava'
import { InvalidRequestError } from '../../../src/domain/errors.js'
import { normaliseEmail } from '../../../src/domain/users/email.js'
import { assertAcceptablePassword } from '../../../src/domain/users/password-policy.js'

/** NIST SP 800-63B: 8 to 256 code points, no composition rules; emails compared case-insensitively. */

test('passwords of 8 to 256 code points pass, whatever characters they use', (t) => {
  for (const password of ['aaaaaaaa', '12345678', '        ', '🔒'.repeat(8), 'x'.repeat(256)]) {
    t.notThrows(() => assertAcceptablePassword(password), JSON.stringify(password).slice(0, 20))
  }
})

test('shorter or longer passwords fail with invalid_request', (t) => {
  for (const password of ['', 'seven77', 'x'.repeat(257), '🔒'.repeat(7)]) {
    const error = t.throws(() => assertAcceptablePassword(password), { instanceOf: InvalidRequestError })
    t.is(error?.code, 'invalid_request')
  }
})

test('emails are trimmed, lower-cased and NFC-normalised', (t) => {
  t.is(normaliseEmail('  Ada@Example.COM '), 'ada@example.com')
  t.is(normaliseEmail('jose\u0301@example.com'), normaliseEmail('jos\u00e9@example.com'))
})
