import Router from '@koa/router'
import type { StorageHealth } from '../../domain/ports.js'

/** Liveness says the process serves; readiness says it can reach its database (503 otherwise). */
export function healthRoutes(health: StorageHealth): Router {
  const router = new Router()
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' }
  })
  router.get('/readyz', async (ctx) => {
    await health.ping()
    ctx.body = { status: 'ready' }
  })
  return router
}
