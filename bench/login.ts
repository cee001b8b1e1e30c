import { clientsLabel, cpuProfile, type Benchmark } from './lib/benchmark.js'
import { Child, childScript } from './lib/child.js'
import { freshDatabase } from './lib/databases.js'
import { LatchServer, PASSWORD } from './lib/latch-server.js'
import { refreshChain, runLoad, type LoadResult } from './lib/load.js'
import { measurePairs, sleep, type Round } from './lib/measure.js'
import { atLeast, atMost, row, type Section } from './lib/report.js'
import { LATCH_REFRESH } from './refresh.js'

/**
 * Two questions about password logins, on SQLite:
 * 1. capacity: POST /login per second against bare argon2 verifications per second with the same
 *    parameters and as many in flight;
 * 2. isolation: the p99 of one client refreshing back to back while a login flood runs, against
 *    the same client's p99 on an otherwise idle server.
 */

/** Logins in flight for the capacity point: as many as libuv's thread pool has threads by default. */
const LOGIN_CLIENTS = 4
/** Clients of the flood: more logins than argon2 can serve, as in a credential-stuffing burst. */
const FLOOD_CLIENTS = 16
const REFRESH_CLIENTS = 1

export const login: Benchmark = {
  name: 'login',
  description: `POST /login vs bare argon2 (${LOGIN_CLIENTS} in flight); /refresh p99 during a ${FLOOD_CLIENTS}-client login flood vs idle`,
  async run(context) {
    const database = await freshDatabase('sqlite')
    let latch: LatchServer | undefined
    let floor: Child | undefined
    try {
      latch = await LatchServer.start({ name: 'latch-login', databaseUrl: database.url, keys: context.keys, ...cpuProfile(context) })
      const server = latch
      floor = Child.start({ name: 'floor-argon2', script: childScript('argon2-floor.ts') })
      const argon2Floor = floor
      const emails = await server.registerUsers(FLOOD_CLIENTS)
      const loginLoad = (clients: number, seconds: number) =>
        runLoad({
          url: server.url,
          connections: clients,
          seconds,
          client: (index) => [
            { method: 'POST', path: '/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: emails[index % emails.length], password: PASSWORD }) },
          ],
        })

      context.log(`login · capacity · ${clientsLabel(LOGIN_CLIENTS)}`)
      const capacity = await measurePairs<Round>(context.profile, {
        latch: async (seconds) => {
          const result = await loginLoad(LOGIN_CLIENTS, seconds)
          server.assertHealthy()
          return result
        },
        floor: (seconds) => argon2Floor.call<Round>('run', { concurrency: LOGIN_CLIENTS, seconds }),
      })

      context.log(`login · /refresh during a ${FLOOD_CLIENTS}-client login flood`)
      // One client rotating its own chain; the login that starts it happens before any flood does.
      const refreshLoad = (token: string, seconds: number) =>
        runLoad({ url: server.url, connections: REFRESH_CLIENTS, seconds, client: () => refreshChain(token, LATCH_REFRESH) })
      const freshChain = async () => (await server.login(emails[0]!)).refresh_token
      const isolation = await measurePairs<LoadResult>(context.profile, {
        latch: async (seconds) => {
          const token = await freshChain()
          const [refreshed] = await Promise.all([refreshLoad(token, seconds), loginLoad(FLOOD_CLIENTS, seconds)])
          server.assertHealthy()
          return refreshed
        },
        floor: async (seconds) => {
          const refreshed = await refreshLoad(await freshChain(), seconds)
          server.assertHealthy()
          return refreshed
        },
        // Logins still queued on the thread pool when a flood ends must not leak into the next round.
        settle: () => sleep(1000),
      })

      const at = clientsLabel(LOGIN_CLIENTS)
      const sections: Section[] = [
        {
          benchmark: 'login',
          title: 'login · SQLite',
          floor: `bare argon2.verify of a hash made with ARGON2_PARAMETERS (src/domain/users/password-hasher.ts), ${LOGIN_CLIENTS} in flight, in a child process with the same default thread pool (4 threads).`,
          rows: [
            row(`logins/s, ${at}`, 'req/s', capacity.latch.map((r) => r.rps), capacity.floor.map((r) => r.rps), atLeast(0.9)),
            row(`p99, ${at}`, 'ms', capacity.latch.map((r) => r.p99), capacity.floor.map((r) => r.p99)),
          ],
          notes: [],
        },
        {
          benchmark: 'login',
          title: 'refresh under login flood · SQLite',
          floor: `the same server idle: one client refreshing back to back, alone. Latch's figure is that client's latency while ${FLOOD_CLIENTS} other clients flood POST /login on the same server.`,
          rows: [
            row(`refresh p50, ${clientsLabel(REFRESH_CLIENTS)}`, 'ms', isolation.latch.map((r) => r.p50), isolation.floor.map((r) => r.p50)),
            row(`refresh p99, ${clientsLabel(REFRESH_CLIENTS)}`, 'ms', isolation.latch.map((r) => r.p99), isolation.floor.map((r) => r.p99), atMost(2, 'idle')),
          ],
          notes: [],
        },
      ]
      return sections
    } finally {
      await floor?.stop()
      await latch?.stop()
      await database.drop()
    }
  },
}
