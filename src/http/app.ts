import Koa from 'koa'
import type { Core } from '../domain/core.js'
import type { StorageHealth } from '../domain/ports.js'
import type { KeyRing } from '../domain/tokens/key-ring.js'
import type { Logger } from '../logger.js'
import { LATCH_VERSION } from '../version.js'
import { handleErrors } from './middleware/handle-errors.js'
import type { OperationSpecs } from './openapi.js'
import { accountOperations, accountRoutes } from './routes/accounts.js'
import { adminOperations, adminRoutes } from './routes/admin.js'
import { healthOperations, healthRoutes } from './routes/health.js'
import { jwksOperations, jwksRoutes } from './routes/jwks.js'
import { meOperations, meRoutes } from './routes/me.js'
import { openApiRoutes } from './routes/openapi.js'
import { sessionOperations, sessionRoutes } from './routes/sessions.js'

/** Every documented operation; the OpenAPI test holds this equal to the routes actually served. */
export const OPERATIONS: OperationSpecs = {
  ...healthOperations,
  ...jwksOperations,
  ...accountOperations,
  ...sessionOperations,
  ...meOperations,
  ...adminOperations,
}

export interface AppDependencies {
  core: Core
  keyRing: KeyRing
  health: StorageHealth
  logger: Logger
  bodyLimit: number
  issuer: string
  /** Believe X-Forwarded-For for the client IP (only behind a trusted proxy). */
  trustProxy: boolean
}

/** Builds the Koa application. It never listens: src/server.ts does, and tests do on port 0. */
export function createApp(deps: AppDependencies): Koa {
  const app = new Koa({ proxy: deps.trustProxy })
  // Errors are answered and logged by handleErrors; Koa's default stderr printing would duplicate them.
  app.silent = true
  const options = { bodyLimit: deps.bodyLimit }

  app.use(handleErrors(deps.logger, options))
  app.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff')
    await next()
  })

  const routers = [
    healthRoutes(deps.health),
    jwksRoutes(deps.keyRing),
    accountRoutes(deps.core, options),
    sessionRoutes(deps.core, options),
    meRoutes(deps.core),
    adminRoutes(deps.core, options),
    openApiRoutes(OPERATIONS, { issuer: deps.issuer, version: LATCH_VERSION }),
  ]
  for (const router of routers) {
    app.use(router.routes())
    app.use(router.allowedMethods({ throw: true }))
  }
  return app
}
