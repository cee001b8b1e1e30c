import type Router from '@koa/router'
import type { StorageHealth } from '../../domain/ports.js'
import type { OperationSpecs } from '../openapi.js'
import { createRouter } from '../router.js'

export const healthOperations: OperationSpecs = {
  'GET /healthz': { summary: 'Liveness: the process serves requests', tag: 'operations', responses: { 200: 'Alive' } },
  'GET /readyz': { summary: 'Readiness: the database answers', tag: 'operations', responses: { 200: 'Ready', 503: 'temporarily_unavailable' } },
}

/** Liveness says the process serves; readiness says it can reach its database (503 otherwise). */
export function healthRoutes(health: StorageHealth): Router {
  const router = createRouter()
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' }
  })
  router.get('/readyz', async (ctx) => {
    await health.ping()
    ctx.body = { status: 'ready' }
  })
  return router
}
