import type Router from '@koa/router'
import Koa from 'koa'
import type { Core } from '../domain/core.js'
import type { StorageHealth } from '../domain/ports.js'
import type { KeyRingSource } from '../domain/tokens/key-ring-source.js'
import type { RevocationFeed } from '../feed/revocation-feed.js'
import type { Logger } from '../logger.js'
import { LATCH_VERSION } from '../version.js'
import { browserCors, type AllowedOrigins } from './cors.js'
import { handleErrors } from './middleware/handle-errors.js'
import { recordRequests, type HttpMetrics } from './middleware/record-requests.js'
import type { OperationSpecs } from './openapi.js'
import { createRouter } from './router.js'
import { accountOperations, accountRoutes } from './routes/accounts.js'
import { adminAuditOperations, adminAuditRoutes } from './routes/admin-audit.js'
import { adminKeyOperations, adminKeyRoutes } from './routes/admin-keys.js'
import { adminRouter } from './routes/admin-shared.js'
import { adminSessionOperations, adminSessionRoutes } from './routes/admin-sessions.js'
import { adminUserOperations, adminUserRoutes } from './routes/admin-users.js'
import { eventOperations, eventRoutes } from './routes/events.js'
import { healthOperations, healthRoutes } from './routes/health.js'
import { jwksOperations, jwksRoutes } from './routes/jwks.js'
import { meOperations, meRoutes } from './routes/me.js'
import { oauthOperations, oauthRoutes } from './routes/oauth.js'
import { oauthMetadataOperations, oauthMetadataRoutes } from './routes/oauth-metadata.js'
import { openApiRoutes } from './routes/openapi.js'
import { sessionOperations, sessionRoutes } from './routes/sessions.js'

/** Every documented operation; the OpenAPI test holds this equal to the routes actually served. */
export const OPERATIONS: OperationSpecs = {
  ...healthOperations,
  ...jwksOperations,
  ...accountOperations,
  ...sessionOperations,
  ...meOperations,
  ...adminUserOperations,
  ...adminSessionOperations,
  ...adminAuditOperations,
  ...adminKeyOperations,
  ...oauthMetadataOperations,
  ...oauthOperations,
  ...eventOperations,
}

export interface AppDependencies {
  core: Core
  /** The signing keys in force, which rotate while the app runs. */
  keyRing: KeyRingSource
  /** Cache-Control max-age of the JWKS: the key publication delay. */
  jwksMaxAge: number
  feed: RevocationFeed
  /** Most revocation-feed streams held open at once. */
  feedMaxStreams: number
  health: StorageHealth
  logger: Logger
  bodyLimit: number
  issuer: string
  /** Proxies of the operator's own in front, each appending to X-Forwarded-For (0: take the socket's address). */
  trustedProxies: number
  /** The origins the browser endpoints answer CORS for. */
  allowedOrigins: AllowedOrigins
  /** Where requests are counted; null when metrics are off (nothing is installed then). */
  metrics: HttpMetrics | null
}

/** Builds the Koa application. It never listens: src/server.ts does, and tests do on port 0. */
export function createApp(deps: AppDependencies): Koa {
  // Behind N proxies, the client's address is the Nth entry of X-Forwarded-For from the end, the
  // one the outermost of them appended; entries before it are whatever the client sent, and would
  // let it pick its address (in sessions, the audit trail and the login throttle's counts).
  const app = new Koa({ proxy: deps.trustedProxies > 0, maxIpsCount: deps.trustedProxies })
  // Errors are answered and logged by handleErrors; Koa's default stderr printing would duplicate them.
  app.silent = true
  const options = { bodyLimit: deps.bodyLimit }

  // Outside handleErrors, so that it counts the status handleErrors answered with.
  if (deps.metrics) app.use(recordRequests(deps.metrics))
  // Outermost but for metrics; it also sets X-Request-Id and X-Content-Type-Options: nosniff on every response.
  app.use(handleErrors(deps.logger, options))
  app.use(browserCors(deps.allowedOrigins))

  const routers = [
    healthRoutes(deps.health),
    jwksRoutes(deps.keyRing, { maxAgeSeconds: deps.jwksMaxAge }),
    accountRoutes(deps.core, options),
    sessionRoutes(deps.core, options),
    meRoutes(deps.core),
    adminRouter(deps.core, [adminUserRoutes(deps.core, options), adminSessionRoutes(deps.core), adminAuditRoutes(deps.core), adminKeyRoutes(deps.core, options)]),
    oauthMetadataRoutes({ issuer: deps.issuer, signingAlgorithms: () => deps.keyRing.current().algorithms }),
    oauthRoutes(deps.core, options),
    eventRoutes(deps.core, deps.feed, { maxStreams: deps.feedMaxStreams }),
    openApiRoutes(OPERATIONS, { issuer: deps.issuer, version: LATCH_VERSION }),
  ]
  // One router holding every module's routes (mounting copies their layers), so a request is
  // matched once and passes one dispatcher and one allowedMethods, instead of a routes() and an
  // allowedMethods() middleware per module (~25 µs of CPU per request with a dozen modules).
  const root = createRouter()
  for (const router of routers) root.use((router as Router).routes())
  app.use(root.routes())
  // Without `throw` the router sets Allow (which RFC 9110 requires on a 405) and a bare 405 or
  // 501 status; handleErrors turns those into the documented error body.
  app.use(root.allowedMethods())
  return app
}
