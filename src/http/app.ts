import Koa from 'koa'
import type { Core } from '../domain/core.js'
import type { StorageHealth } from '../domain/ports.js'
import type { KeyRing } from '../domain/tokens/key-ring.js'
import type { Logger } from '../logger.js'
import { handleErrors } from './middleware/handle-errors.js'
import { accountRoutes } from './routes/accounts.js'
import { adminRoutes } from './routes/admin.js'
import { healthRoutes } from './routes/health.js'
import { jwksRoutes } from './routes/jwks.js'
import { meRoutes } from './routes/me.js'
import { sessionRoutes } from './routes/sessions.js'

export interface AppDependencies {
  core: Core
  keyRing: KeyRing
  health: StorageHealth
  logger: Logger
  bodyLimit: number
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
  ]
  for (const router of routers) {
    app.use(router.routes())
    app.use(router.allowedMethods({ throw: true }))
  }
  return app
}
