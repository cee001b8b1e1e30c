/**
 * The /me floor: a bare Koa route that does only `jose.jwtVerify` on the bearer token, against the
 * public keys Latch publishes (its JWKS, fetched by the runner and passed in BENCH_JWKS) with the
 * verification options of AccessTokens.verify. No logging, no database, no other middleware.
 * Listens on $PORT.
 */
import { once } from 'node:events'
import Router from '@koa/router'
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose'
import Koa from 'koa'

const jwks = JSON.parse(process.env.BENCH_JWKS!) as JSONWebKeySet
const keys = createLocalJWKSet(jwks)
const algorithms = [...new Set(jwks.keys.map((key) => key.alg!))]
const BEARER = /^Bearer[ ]+([A-Za-z0-9\-_.~+/]+=*)$/i

const router = new Router()
router.get('/healthz', (ctx) => {
  ctx.body = { status: 'ok' }
})
router.get('/me', async (ctx) => {
  const token = BEARER.exec(ctx.get('Authorization'))?.[1]
  if (!token) return ctx.throw(401)
  const { payload } = await jwtVerify(token, keys, {
    issuer: process.env.BENCH_ISSUER!,
    audience: process.env.BENCH_AUDIENCE!,
    algorithms,
    typ: 'at+jwt',
    clockTolerance: 5,
    requiredClaims: ['sub', 'exp', 'iat', 'jti', 'sid', 'ver', 'client_id'],
  })
  ctx.body = { id: payload.sub }
})

const app = new Koa()
app.use(router.routes())
const server = app.listen(Number(process.env.PORT), '127.0.0.1')
await once(server, 'listening')
process.on('SIGTERM', () => server.close(() => process.exit(0)))
