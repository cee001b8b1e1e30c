import type { Benchmark } from './lib/benchmark.js'
import { Child, childScript } from './lib/child.js'
import { AUDIENCE, ISSUER } from './lib/latch-server.js'
import { row, type Row } from './lib/report.js'

/**
 * Access-token signing as login and refresh do it (AccessTokens.issue, in-process) against bare
 * jose SignJWT with the same key, claims and header. Both run in one child process, alternating
 * every 100 ms, so each round's ratio compares the two at the same moments.
 */

const IN_FLIGHT = [1, 16]

export const signing: Benchmark = {
  name: 'signing',
  description: `AccessTokens.issue vs bare jose SignJWT, same key, ${IN_FLIGHT.join(' and ')} in flight`,
  async run(context) {
    const child = Child.start({
      name: 'signing',
      script: childScript('signing.ts'),
      env: { NODE_ENV: 'production', LATCH_ISSUER: ISSUER, LATCH_AUDIENCE: AUDIENCE, ...context.keys },
    })
    try {
      const rows: Row[] = []
      for (const inFlight of IN_FLIGHT) {
        context.log(`signing · ${inFlight} in flight`)
        // Each round runs both sides in alternating 100 ms slices inside the child (see children/signing.ts).
        const round = () => child.call<{ latch: number; bare: number }>('run', { concurrency: inFlight, seconds: context.profile.microSeconds })
        if (context.profile.warmupSeconds > 0) await child.call('run', { concurrency: inFlight, seconds: context.profile.warmupSeconds })
        const rounds: { latch: number; bare: number }[] = []
        for (let index = 0; index < context.profile.rounds; index++) rounds.push(await round())
        rows.push(row(`signatures/s, ${inFlight} in flight`, 'op/s', rounds.map((r) => r.latch), rounds.map((r) => r.bare)))
      }
      return [
        {
          benchmark: 'signing',
          title: 'signing (in-process)',
          floor: 'bare jose SignJWT of the same claims under the same header (EdDSA, typ at+jwt, kid) with the same CryptoKey, in the same child process, alternating with AccessTokens.issue every 100 ms.',
          rows,
          notes: [],
        },
      ]
    } finally {
      await child.stop()
    }
  },
}
