import { BACKSTOP_AUTOCHECKPOINT } from '../src/storage/sqlite-checkpointer.js'
import { clientsLabel, cpuProfile, type Benchmark, type BenchContext } from './lib/benchmark.js'
import { Child, childScript } from './lib/child.js'
import { freshDatabase, PROVIDER_LABEL, type Provider } from './lib/databases.js'
import { LatchServer } from './lib/latch-server.js'
import { refreshChain, runLoad } from './lib/load.js'
import { measurePairs, type Round } from './lib/measure.js'
import { atLeast, row, under, type Row, type Section } from './lib/report.js'

/**
 * POST /refresh over HTTP, each client rotating its own chain (log in once, then always present
 * the refresh_token of the previous response), against the same rotation transaction run directly
 * on the raw driver: the database work Latch cannot avoid.
 */

const CONCURRENCY = [1, 4, 16]

export const LATCH_REFRESH = {
  path: '/refresh',
  contentType: 'application/json',
  body: (token: string) => JSON.stringify({ refresh_token: token }),
}

export const refresh: Benchmark = {
  name: 'refresh',
  description: 'POST /refresh at 1, 4 and 16 clients vs the raw-driver rotation transaction, on SQLite and PostgreSQL',
  async run(context) {
    const sections: Section[] = []
    for (const provider of context.providers) sections.push(await refreshOn(provider, context))
    return sections
  },
}

async function refreshOn(provider: Provider, context: BenchContext): Promise<Section> {
  const label = PROVIDER_LABEL[provider]
  const database = await freshDatabase(provider)
  let latch: LatchServer | undefined
  let floor: Child | undefined
  try {
    latch = await LatchServer.start({ name: `latch-refresh-${provider}`, databaseUrl: database.url, keys: context.keys, ...cpuProfile(context) })
    const server = latch
    floor = Child.start({ name: `floor-rotation-${provider}`, script: childScript('raw-rotation.ts') })
    const rawFloor = floor
    await rawFloor.call('open', { url: database.url, refreshTokenKey: context.keys.LATCH_REFRESH_TOKEN_KEY })
    const emails = await server.registerUsers(Math.max(...CONCURRENCY))
    // Every round starts from fresh sessions: a chain abandoned mid-request at the end of a round
    // would otherwise trip reuse detection later.
    const freshChains = async (clients: number) => (await Promise.all(emails.slice(0, clients).map((email) => server.login(email)))).map((pair) => pair.refresh_token)

    const rows: Row[] = []
    for (const clients of CONCURRENCY) {
      context.log(`refresh · ${label} · ${clientsLabel(clients)}`)
      const rounds = await measurePairs<Round>(context.profile, {
        latch: async (seconds) => {
          const tokens = await freshChains(clients)
          const cpuBefore = server.child.cpuSeconds()
          const result = await runLoad({ url: server.url, connections: clients, seconds, client: (index) => refreshChain(tokens[index]!, LATCH_REFRESH) })
          const cpuPerOp = ((server.child.cpuSeconds() - cpuBefore) * 1e6) / result.responses
          server.assertHealthy()
          return { ...result, cpuPerOp }
        },
        floor: async (seconds) => rawFloor.call<Round>('run', { refreshTokens: await freshChains(clients), seconds }),
      })
      const at = clientsLabel(clients)
      rows.push(row(`refreshes/s, ${at}`, 'req/s', rounds.latch.map((r) => r.rps), rounds.floor.map((r) => r.rps), atLeast(0.5)))
      rows.push(row(`p50, ${at}`, 'ms', rounds.latch.map((r) => r.p50), rounds.floor.map((r) => r.p50)))
      rows.push(row(`p99, ${at}`, 'ms', rounds.latch.map((r) => r.p99), rounds.floor.map((r) => r.p99), clients === 16 ? under(10) : undefined))
      rows.push(row(`CPU per refresh, ${at}`, 'µs', rounds.latch.map((r) => r.cpuPerOp!), rounds.floor.map((r) => r.cpuPerOp!)))
    }
    server.assertHealthy()
    return {
      benchmark: 'refresh',
      title: `refresh · ${label}`,
      floor:
        provider === 'sqlite'
          ? `Latch's own statements, read from src/storage/session-store.ts (the lookup of findByRefreshTokenHash, one join; then rotate()'s three statements in one transaction), prepared once on better-sqlite3 in a child process: no HTTP, no Prisma, no signing. better-sqlite3 is synchronous, so concurrency is moot: the floor is one thread rotating round-robin over as many chains as there are clients. As in Latch's server, the WAL is checkpointed by a worker thread (src/storage/sqlite-checkpointer.ts), the connection's own automatic checkpoint kept only as a backstop at ${BACKSTOP_AUTOCHECKPOINT} pages.`
          : `Latch's own statements, read from src/storage/session-store.ts (the lookup, one join; then rotate()'s single statement, a data-modifying CTE that is atomic on its own: two round trips, as in Latch) on pg in a child process, with a pool of as many connections as clients, each client rotating its own chain. Latch keeps its default pool (10 connections).`,
      rows,
      notes: [
        'CPU per refresh is the CPU time (all threads) of the measuring process per rotation: the Latch server child, read from /proc, against the floor child; the database server’s own CPU is in neither. It is the figure least disturbed by a shared machine.',
      ],
    }
  } finally {
    await floor?.call('close').catch(() => {})
    await floor?.stop()
    await latch?.stop()
    await database.drop()
  }
}
