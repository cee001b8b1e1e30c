/**
 * latch/verifier against bare jose, in a child process of its own. The child serves a local
 * issuer (the feed fixture of the tests: RFC 8414 metadata, JWKS, the SSE revocation feed with
 * heartbeats every 2 s) and verifies the same tokens two ways, alternating every 100 ms:
 * `verifier.verify` (token cache, revocation check against a populated set, freshness) and a
 * bare `jose.jwtVerify` with a remote JWKS from the same server and the same rules.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { createVerifier } from '../../src/verifier/index.js'
import { FeedFixture } from '../../test/helpers/feed-fixture.js'
import { serveRpc } from './rpc.js'

/** Revocations in the set while measuring (sessions of other users), as a busy issuer would have. */
const REVOKED_SESSIONS = 10_000
const REVOKED_USERS = 1_000
/** Distinct never-seen tokens, cycled: three times the token cache, so none is ever a hit. */
const TOKEN_CACHE_SIZE = 10_000
const FRESH_TOKENS = 3 * TOKEN_CACHE_SIZE
/** The tokens a set of clients keep sending for minutes. */
const REPEATED_TOKENS = 100

const fixture = await FeedFixture.start({ heartbeatMs: 2_000 })
for (let index = 0; index < REVOKED_SESSIONS; index++) await fixture.revokeSession(fixture.session())
for (let index = 0; index < REVOKED_USERS; index++) await fixture.revoke({ kind: 'user_version', sub: fixture.session().sub, minVer: 1 })

const verifier = createVerifier({
  issuer: fixture.issuer,
  audience: fixture.audience,
  clientId: fixture.clientId,
  clientSecret: fixture.clientSecret,
  tokenCacheSize: TOKEN_CACHE_SIZE,
})
await verifier.ready()
if (verifier.stats().entries !== REVOKED_SESSIONS + REVOKED_USERS) throw new Error(`the verifier holds ${verifier.stats().entries} entries`)

const jwks = createRemoteJWKSet(new URL(`${fixture.issuer}/.well-known/jwks.json`))
const rules = { issuer: fixture.issuer, audience: fixture.audience, typ: 'at+jwt', algorithms: ['EdDSA'], requiredClaims: ['sub', 'sid', 'ver', 'jti', 'exp'] }
const sign = (count: number) => Promise.all(Array.from({ length: count }, () => fixture.accessToken(fixture.session())))
const pools = { fresh: await sign(FRESH_TOKENS), repeated: await sign(REPEATED_TOKENS) }
await jwtVerify(pools.repeated[0]!, jwks, rules) // fetch the bare side's JWKS once, as the verifier did

type Kind = keyof typeof pools
const next = { verifier: { fresh: 0, repeated: 0 }, bare: { fresh: 0, repeated: 0 } }
const operations = {
  verifier: (kind: Kind) => verifier.verify(pools[kind][next.verifier[kind]++ % pools[kind].length]!),
  bare: (kind: Kind) => jwtVerify(pools[kind][next.bare[kind]++ % pools[kind].length]!, jwks, rules),
}

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
  /** `seconds` of each side on `kind` tokens, alternating in 100 ms slices (ABBA); verifications per second of each. */
  async run(params: { kind: Kind; concurrency: number; seconds: number }) {
    const totals = { verifier: { count: 0, elapsed: 0 }, bare: { count: 0, elapsed: 0 } }
    const before = verifier.stats()
    // ABBA order: whichever side runs second in a pair inherits the first one's garbage, so the
    // order alternates every pair rather than favouring one side.
    let pair = 0
    for (let spent = 0; spent < params.seconds * 1000; spent += SLICE_MS, pair++) {
      for (const side of pair % 2 === 0 ? (['verifier', 'bare'] as const) : (['bare', 'verifier'] as const)) {
        const slice = await throughput(() => operations[side](params.kind), params.concurrency, SLICE_MS)
        totals[side].count += slice.count
        totals[side].elapsed += slice.elapsed
      }
    }
    const after = verifier.stats()
    if (!after.fresh) throw new Error(`the verifier went stale during the run (${after.staleReason})`)
    const rejected = Object.values(after.rejected).reduce((sum, count) => sum + count, 0)
    if (rejected > 0) throw new Error(`the verifier rejected ${rejected} token(s)`)
    return {
      verifier: (totals.verifier.count * 1000) / totals.verifier.elapsed,
      bare: (totals.bare.count * 1000) / totals.bare.elapsed,
      cacheHitRate: (after.cacheHits - before.cacheHits) / Math.max(1, after.verified - before.verified),
    }
  },
})
