import { clientsLabel, cpuProfile, type Benchmark } from './lib/benchmark.js'
import { Child, childScript, freePort } from './lib/child.js'
import { freshDatabase } from './lib/databases.js'
import { AUDIENCE, ISSUER, LatchServer } from './lib/latch-server.js'
import { refreshChain, runLoad } from './lib/load.js'
import { measurePairs, type Round } from './lib/measure.js'
import { atLeast, row } from './lib/report.js'
import { LATCH_REFRESH } from './refresh.js'

/**
 * Latch's /refresh on SQLite against a peer doing the same job over HTTP: node-oidc-provider's
 * refresh_token grant with rotation, EdDSA JWT access tokens, in-memory storage. The ratio is
 * Latch ÷ peer.
 */

const CLIENTS = 16

const PEER_REFRESH = {
  path: '/token',
  contentType: 'application/x-www-form-urlencoded',
  body: (token: string) => new URLSearchParams({ grant_type: 'refresh_token', client_id: 'latch-web', refresh_token: token }).toString(),
}

export const peerOidcProvider: Benchmark = {
  name: 'peer',
  description: `Latch /refresh (SQLite) vs node-oidc-provider's rotating refresh_token grant, ${CLIENTS} clients`,
  async run(context) {
    const database = await freshDatabase('sqlite')
    let latch: LatchServer | undefined
    let peer: Child | undefined
    try {
      latch = await LatchServer.start({ name: 'latch-peer', databaseUrl: database.url, keys: context.keys, ...cpuProfile(context) })
      const server = latch
      const port = await freePort()
      peer = Child.start({
        name: 'oidc-provider',
        script: childScript('oidc-provider-server.ts'),
        env: { NODE_ENV: 'production', PORT: String(port), LATCH_ISSUER: ISSUER, LATCH_AUDIENCE: AUDIENCE, ...context.keys },
      })
      const peerServer = peer
      const peerUrl = `http://127.0.0.1:${port}`
      const emails = await server.registerUsers(CLIENTS, 'peer')

      context.log(`peer · ${clientsLabel(CLIENTS)}`)
      const rounds = await measurePairs<Round>(context.profile, {
        latch: async (seconds) => {
          const tokens = await Promise.all(emails.map(async (email) => (await server.login(email)).refresh_token))
          const result = await runLoad({ url: server.url, connections: CLIENTS, seconds, client: (index) => refreshChain(tokens[index]!, LATCH_REFRESH) })
          server.assertHealthy()
          return result
        },
        floor: async (seconds) => {
          // Fresh grants every round: the in-memory adapter keeps every rotated token of a grant.
          const tokens = await peerServer.call<string[]>('mint', { count: CLIENTS })
          const result = await runLoad({ url: peerUrl, connections: CLIENTS, seconds, client: (index) => refreshChain(tokens[index]!, PEER_REFRESH) })
          const errors = await peerServer.call<{ count: number; first: string }>('serverErrors')
          if (errors.count > 0) throw new Error(`oidc-provider had ${errors.count} server error(s): ${errors.first}`)
          return result
        },
      })
      const at = clientsLabel(CLIENTS)
      return [
        {
          benchmark: 'peer',
          title: 'refresh vs oidc-provider · SQLite',
          floor:
            "the peer, not a floor: node-oidc-provider's POST /token refresh_token grant for a public client with rotateRefreshToken: true, issuing EdDSA at+jwt access tokens (resourceIndicators, accessTokenFormat: 'jwt') with the same Ed25519 key, on its in-memory adapter, in a child process. Each client rotates its own chain from a grant minted in-process with provider.Grant/provider.RefreshToken; the ratio is Latch ÷ peer.",
          rows: [
            row(`refreshes/s, ${at}`, 'req/s', rounds.latch.map((r) => r.rps), rounds.floor.map((r) => r.rps), atLeast(1, 'peer')),
            row(`p50, ${at}`, 'ms', rounds.latch.map((r) => r.p50), rounds.floor.map((r) => r.p50)),
            row(`p99, ${at}`, 'ms', rounds.latch.map((r) => r.p99), rounds.floor.map((r) => r.p99)),
          ],
          notes: ['The peer keeps its state in memory, Latch in a SQLite file (WAL, synchronous=NORMAL).'],
        },
      ]
    } finally {
      await peer?.stop()
      await latch?.stop()
      await database.drop()
    }
  },
}
