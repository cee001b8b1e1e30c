import { createHash, randomBytes } from 'node:crypto'
import test from 'ava'
import { RefreshTokenSecrets } from '../../../src/domain/sessions/refresh-token-secrets.js'

/** Refresh token secrets: 256 random bits, stored as SHA-256, successors derived by HMAC. */
const secrets = new RefreshTokenSecrets(randomBytes(32))

test('a minted token carries 256 random bits behind the latch_rt_ prefix', (t) => {
  const minted = secrets.mint()
  t.regex(minted.token, /^latch_rt_[A-Za-z0-9_-]{43}$/)
  t.is(minted.bytes.byteLength, 32)
  t.not(secrets.mint().token, minted.token)
})

test('the stored hash is the SHA-256 of the secret and does not contain it', (t) => {
  const minted = secrets.mint()
  t.is(minted.hash, createHash('sha256').update(minted.bytes).digest('base64url'))
  t.false(minted.token.includes(minted.hash))
})

test('a successor is the same every time for the same secret and key, and differs under another key', (t) => {
  const minted = secrets.mint()
  t.is(secrets.successorOf(minted).token, secrets.successorOf(minted).token)
  t.not(secrets.successorOf(minted).token, minted.token)
  t.not(new RefreshTokenSecrets(randomBytes(32)).successorOf(minted).token, secrets.successorOf(minted).token)
})

test('parsing accepts exactly the canonical token form', (t) => {
  const minted = secrets.mint()
  t.is(secrets.parse(minted.token)?.hash, minted.hash)
  const malformed = ['', minted.token.slice(9), `${minted.token}A`, minted.token.slice(0, -1), `LATCH_RT_${minted.token.slice(9)}`, `latch_rt_${'A'.repeat(42)}B`]
  for (const token of malformed) t.is(secrets.parse(token), null, token)
})

test('a key shorter than 256 bits is refused', (t) => {
  t.throws(() => new RefreshTokenSecrets(randomBytes(16)), { instanceOf: RangeError })
})
