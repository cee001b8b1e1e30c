/**
 * In-process token signing, in a child process of its own: AccessTokens.issue (the path every
 * login and refresh takes, src/domain/tokens/access-tokens.ts) against a bare jose SignJWT of the
 * same claims and header with the same key, `concurrency` signatures in flight, interleaved.
 */
import { randomUUID } from 'node:crypto'
import { SignJWT, decodeJwt, type JWTPayload } from 'jose'
import { systemClock } from '../../src/domain/clock.js'
import { AccessTokens, type AccessTokenSubject } from '../../src/domain/tokens/access-tokens.js'
import { StaticKeyRingSource } from '../../src/domain/tokens/key-ring-source.js'
import { loadKeys } from '../../src/keys/load-keys.js'
import { serveRpc } from './rpc.js'

const keyMaterial = await loadKeys({
  kind: 'static',
  signingKeys: process.env.LATCH_SIGNING_KEYS!,
  refreshTokenKey: process.env.LATCH_REFRESH_TOKEN_KEY!,
})
if (keyMaterial.mode !== 'static') throw new Error('the signing bench needs LATCH_SIGNING_KEYS')
const { keyRing } = keyMaterial
const accessTokens = new AccessTokens({
  keys: new StaticKeyRingSource(keyRing),
  issuer: process.env.LATCH_ISSUER!,
  audience: process.env.LATCH_AUDIENCE!,
  lifetimeSeconds: 300,
  clock: systemClock,
})
const subject: AccessTokenSubject = {
  userId: randomUUID(),
  sessionId: randomUUID(),
  version: 0,
  clientId: 'latch-web',
  scope: 'api',
  audience: process.env.LATCH_AUDIENCE!,
}
// The bare side signs exactly the claims Latch puts in a token, under the same header and key.
const claims: JWTPayload = decodeJwt((await accessTokens.issue(subject)).token)
const signer = keyRing.active

const sign = {
  latch: () => accessTokens.issue(subject),
  bare: () => new SignJWT(claims).setProtectedHeader({ alg: signer.alg, typ: 'at+jwt', kid: signer.kid }).sign(signer.privateKey),
}

/** Signatures per second of `operation` with `concurrency` in flight, for `milliseconds`. */
async function throughput(operation: () => Promise<unknown>, concurrency: number, milliseconds: number): Promise<{ count: number; elapsed: number }> {
  let count = 0
  const started = performance.now()
  const deadline = started + milliseconds
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await operation()
        count += 1
      }
    }),
  )
  return { count, elapsed: performance.now() - started }
}

const SLICE_MS = 100

serveRpc({
  /**
   * `seconds` of each kind, alternating in 100 ms slices so that both see the same moments of a
   * shared machine; returns signatures per second of each.
   */
  async run(params: { concurrency: number; seconds: number }) {
    const totals = { latch: { count: 0, elapsed: 0 }, bare: { count: 0, elapsed: 0 } }
    for (let spent = 0; spent < params.seconds * 1000; spent += SLICE_MS) {
      for (const kind of ['latch', 'bare'] as const) {
        const slice = await throughput(sign[kind], params.concurrency, SLICE_MS)
        totals[kind].count += slice.count
        totals[kind].elapsed += slice.elapsed
      }
    }
    return { latch: (totals.latch.count * 1000) / totals.latch.elapsed, bare: (totals.bare.count * 1000) / totals.bare.elapsed }
  },
})
