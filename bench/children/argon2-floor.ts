/**
 * The login floor: bare argon2 verifications with Latch's parameters (ARGON2_PARAMETERS), the
 * same number in flight as the login benchmark has clients, on libuv's default thread pool, in a
 * process of its own. Nothing else: no HTTP, no database, no session, no token.
 */
import argon2 from 'argon2'
import { ARGON2_PARAMETERS } from '../../src/domain/users/password-hasher.js'
import { PASSWORD } from '../lib/latch-server.js'
import { Latencies } from '../lib/stats.js'
import { serveRpc } from './rpc.js'

const hash = await argon2.hash(PASSWORD, ARGON2_PARAMETERS)

serveRpc({
  async run(params: { concurrency: number; seconds: number }) {
    const latencies = new Latencies()
    const started = performance.now()
    const deadline = started + params.seconds * 1000
    await Promise.all(
      Array.from({ length: params.concurrency }, async () => {
        while (performance.now() < deadline) {
          const before = performance.now()
          if (!(await argon2.verify(hash, PASSWORD))) throw new Error('argon2 floor: verification failed')
          latencies.record(performance.now() - before)
        }
      }),
    )
    return { rps: latencies.count / ((performance.now() - started) / 1000), ...latencies.percentiles() }
  },
})
