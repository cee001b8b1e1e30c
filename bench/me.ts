import { decodeJwt } from 'jose'
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
 * started the same way.
 */

const CLIENTS = 16

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
      context.log(`me · ${clientsLabel(CLIENTS)}`)
      const rounds = await measurePairs<Round>(context.profile, {
        latch: async (seconds) => {
          const result = await meLoad(server.url, seconds)
          server.assertHealthy()
          return result
        },
        floor: async (seconds) => {
          const result = await meLoad(bareUrl, seconds)
          bareServer.assertRunning()
          return result
        },
      })
      const at = clientsLabel(CLIENTS)
      return [
        {
          benchmark: 'me',
          title: 'me · SQLite',
          floor:
            'a bare Koa + @koa/router route doing only jose.jwtVerify (the options of AccessTokens.verify) on the same token, against the JWKS Latch publishes, in a child process started like Latch (tsx, NODE_ENV=production); no logging, no database.',
          rows: [
            row(`req/s, ${at}`, 'req/s', rounds.latch.map((r) => r.rps), rounds.floor.map((r) => r.rps), atLeast(0.8)),
            row(`p50, ${at}`, 'ms', rounds.latch.map((r) => r.p50), rounds.floor.map((r) => r.p50)),
            row(`p99, ${at}`, 'ms', rounds.latch.map((r) => r.p99), rounds.floor.map((r) => r.p99)),
          ],
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
