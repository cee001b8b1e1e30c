import { decodeJwt, type JWK } from 'jose'
import { systemClock } from '../src/domain/clock.js'
import { AccessTokens } from '../src/domain/tokens/access-tokens.js'
import { KeyRing } from '../src/domain/tokens/key-ring.js'
import { StaticKeyRingSource } from '../src/domain/tokens/key-ring-source.js'
import { clientsLabel, cpuProfile, type Benchmark } from './lib/benchmark.js'
import { Child, childScript, freePort } from './lib/child.js'
import { freshDatabase } from './lib/databases.js'
import { LatchServer } from './lib/latch-server.js'
import { runLoad, sameRequest } from './lib/load.js'
import { measurePairs, type Round } from './lib/measure.js'
import { atLeast, row } from './lib/report.js'

/**
 * GET /me (local JWT verification plus the live-state check in the database) against a bare Koa
 * route doing only jose.jwtVerify on the same token with the same key, each in its own process
 * started the same way. Twice: with one token sent again and again (what a client does for the
 * token's lifetime, and what Latch's verified-token cache serves from memory), and with a token
 * never seen before on every request (the signature checked every time, on both sides).
 */

const CLIENTS = 16
/** Never-seen tokens per client and second of load: more than a client can send (checked). */
const TOKENS_PER_CLIENT_SECOND = 1_000

export const me: Benchmark = {
  name: 'me',
  description: `GET /me vs a bare Koa + jose.jwtVerify route, ${CLIENTS} clients, on SQLite`,
  async run(context) {
    const database = await freshDatabase('sqlite')
    let latch: LatchServer | undefined
    let bare: Child | undefined
    try {
      latch = await LatchServer.start({ name: 'latch-me', databaseUrl: database.url, keys: context.keys, ...cpuProfile(context) })
      const server = latch
      const [email] = await server.registerUsers(1, 'me')
      // The bare route verifies with the keys Latch publishes and the iss/aud Latch writes.
      const jwks = await (await fetch(`${server.url}/.well-known/jwks.json`)).text()
      const claims = decodeJwt((await server.login(email!)).access_token)
      const port = await freePort()
      bare = Child.start({
        name: 'bare-jose',
        script: childScript('bare-jose-server.ts'),
        env: { NODE_ENV: 'production', PORT: String(port), BENCH_JWKS: jwks, BENCH_ISSUER: String(claims.iss), BENCH_AUDIENCE: String(claims.aud) },
      })
      const bareServer = bare
      const bareUrl = `http://127.0.0.1:${port}`
      await bareServer.waitForHttp(`${bareUrl}/healthz`)

      // A fresh token per round: it must outlive the round (5 minutes by default).
      const meLoad = async (url: string, seconds: number) => {
        const { access_token } = await server.login(email!)
        return runLoad({ url, connections: CLIENTS, seconds, client: sameRequest({ method: 'GET', path: '/me', headers: { authorization: `Bearer ${access_token}` } }) })
      }
      // Never-seen tokens: minted here with the run's signing key for the same session (what
      // /refresh would issue, thousands of times faster), fresh for every load of Latch. The bare
      // route, which remembers nothing, gets the batch Latch has just used: minting costs time.
      const minter = await tokenMinter(context.keys.LATCH_SIGNING_KEYS!, claims)
      let batch: string[] = []
      const neverSeenLoad = async (url: string, seconds: number) => {
        // Whole seconds: autocannon runs a fraction of one (a smoke round) for a whole one.
        const perClient = TOKENS_PER_CLIENT_SECOND * Math.ceil(seconds)
        if (url === server.url || batch.length < CLIENTS * perClient) batch = await minter(CLIENTS * perClient)
        const tokens = batch
        const result = await runLoad({
          url,
          connections: CLIENTS,
          seconds,
          client: (index) =>
            tokens.slice(index * perClient, (index + 1) * perClient).map((token) => ({ method: 'GET', path: '/me', headers: { authorization: `Bearer ${token}` } })),
        })
        // autocannon starts a client's list again when it ends: that would repeat tokens.
        if (result.responses > CLIENTS * perClient * 0.9) throw new Error(`me: ${result.responses} requests nearly used up ${CLIENTS * perClient} never-seen tokens; raise TOKENS_PER_CLIENT_SECOND`)
        return result
      }

      const measure = (load: (url: string, seconds: number) => Promise<Round>) =>
        measurePairs<Round>(context.profile, {
          latch: async (seconds) => {
            const result = await load(server.url, seconds)
            server.assertHealthy()
            return result
          },
          floor: async (seconds) => {
            const result = await load(bareUrl, seconds)
            bareServer.assertRunning()
            return result
          },
        })
      context.log(`me · ${clientsLabel(CLIENTS)} · the same token`)
      const repeated = await measure(meLoad)
      context.log(`me · ${clientsLabel(CLIENTS)} · a never-seen token per request`)
      const neverSeen = await measure(neverSeenLoad)
      const at = clientsLabel(CLIENTS)
      const rows = (label: string, rounds: { latch: Round[]; floor: Round[] }) => [
        row(`req/s, ${at}, ${label}`, 'req/s', rounds.latch.map((r) => r.rps), rounds.floor.map((r) => r.rps), atLeast(0.8)),
        row(`p50, ${at}, ${label}`, 'ms', rounds.latch.map((r) => r.p50), rounds.floor.map((r) => r.p50)),
        row(`p99, ${at}, ${label}`, 'ms', rounds.latch.map((r) => r.p99), rounds.floor.map((r) => r.p99)),
      ]
      return [
        {
          benchmark: 'me',
          title: 'me · SQLite',
          floor:
            'a bare Koa + @koa/router route doing only jose.jwtVerify (the options of AccessTokens.verify) on the same token, against the JWKS Latch publishes, in a child process started like Latch (tsx, NODE_ENV=production); no logging, no database, no cache. "same token": every request of a round carries one token, as a client does for its lifetime (Latch verifies it twice, then serves it from its verified-token cache; the live-state query still runs every time). "never-seen": every request a different valid token of the same session, minted by the runner with the same key (a fresh batch for each Latch round; the bare route, which caches nothing, reuses that batch), so both sides check every signature.',
          rows: [...rows('same token', repeated), ...rows('never-seen', neverSeen)],
          notes: [],
        },
      ]
    } finally {
      await bare?.stop()
      await latch?.stop()
      await database.drop()
    }
  },
}

/** Issues valid access tokens for the session of `claims`, as Latch would (AccessTokens.issue with the run's key). */
async function tokenMinter(signingKeys: string, claims: Record<string, unknown>): Promise<(count: number) => Promise<string[]>> {
  const ring = await KeyRing.fromPrivateJwks((JSON.parse(signingKeys) as { keys: JWK[] }).keys)
  const tokens = new AccessTokens({ keys: new StaticKeyRingSource(ring), issuer: String(claims.iss), audience: String(claims.aud), lifetimeSeconds: 300, clock: systemClock })
  const subject = { userId: String(claims.sub), sessionId: String(claims.sid), version: Number(claims.ver), clientId: String(claims.client_id), scope: String(claims.scope), audience: String(claims.aud) }
  return async (count) => {
    const minted: string[] = []
    for (let index = 0; index < count; index++) minted.push((await tokens.issue(subject)).token)
    return minted
  }
}
