import type { Benchmark } from './lib/benchmark.js'
import { Child, childScript } from './lib/child.js'
import { atLeast, row, type Row } from './lib/report.js'

/**
 * latch/verifier's `verify` (revocation check included) against bare `jose.jwtVerify` of the same
 * tokens with the same rules and a JWKS from the same local server, in one child process,
 * alternating every 100 ms (see children/verifier.ts). Never-seen tokens measure the overhead of
 * everything the verifier adds to a signature check; repeated tokens measure the token cache.
 */

const POINTS = [
  { kind: 'fresh', label: 'never-seen tokens', target: atLeast(0.9, 'bare jose') },
  { kind: 'repeated', label: 'repeated tokens', target: atLeast(3, 'bare jose') },
] as const
const IN_FLIGHT = [1, 16]

export const verifier: Benchmark = {
  name: 'verifier',
  description: `latch/verifier verify() vs bare jose jwtVerify, never-seen and repeated tokens, ${IN_FLIGHT.join(' and ')} in flight`,
  async run(context) {
    const child = Child.start({ name: 'verifier', script: childScript('verifier.ts'), env: { NODE_ENV: 'production' } })
    try {
      const rows: Row[] = []
      const notes: string[] = []
      for (const point of POINTS) {
        for (const inFlight of IN_FLIGHT) {
          context.log(`verifier · ${point.label} · ${inFlight} in flight`)
          type Result = { verifier: number; bare: number; cacheHitRate: number }
          const round = (seconds: number) => child.call<Result>('run', { kind: point.kind, concurrency: inFlight, seconds })
          if (context.profile.warmupSeconds > 0) await round(context.profile.warmupSeconds)
          const rounds: Result[] = []
          for (let index = 0; index < context.profile.rounds; index++) rounds.push(await round(context.profile.microSeconds))
          rows.push(row(`verifications/s, ${point.label}, ${inFlight} in flight`, 'op/s', rounds.map((r) => r.verifier), rounds.map((r) => r.bare), point.target))
          const hitRate = Math.max(...rounds.map((r) => r.cacheHitRate))
          if (inFlight === IN_FLIGHT[0]) notes.push(`${point.label}: token-cache hit rate ${(hitRate * 100).toFixed(0)}%.`)
        }
      }
      child.assertRunning()
      return [
        {
          benchmark: 'verifier',
          title: 'verifier (in-process)',
          floor:
            'bare jose jwtVerify of the same EdDSA tokens (same issuer, audience, typ, algorithms and required claims) against a createRemoteJWKSet of the same local JWKS server, ' +
            'in the same child process, alternating with verifier.verify every 100 ms (in ABBA order). The verifier holds 11,000 revocations (10,000 sessions, 1,000 min_ver) from the SSE feed ' +
            'of the same server and checks every token against them; never-seen tokens cycle through 30,000 (three times its token cache, so none is ever a hit); repeated tokens are 100.',
          rows,
          notes,
        },
      ]
    } finally {
      await child.stop()
    }
  },
}
