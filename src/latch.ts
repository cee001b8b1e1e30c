import type { RequestListener } from 'node:http'
import type Koa from 'koa'
import type { Config } from './config.js'
import { systemClock, type Clock } from './domain/clock.js'
import { createCore, type Core } from './domain/core.js'
import { NO_OUTCOME_METRICS } from './domain/ports.js'
import { RefreshTokenSecrets } from './domain/sessions/refresh-token-secrets.js'
import { AccessTokens } from './domain/tokens/access-tokens.js'
import type { KeyRing } from './domain/tokens/key-ring.js'
import type { KeyRingSource } from './domain/tokens/key-ring-source.js'
import { ARGON2_PARAMETERS, argon2Concurrency, PasswordHasher } from './domain/users/password-hasher.js'
import { RevocationFeed } from './feed/revocation-feed.js'
import { WebhookDelivery } from './feed/webhook-delivery.js'
import { createApp } from './http/app.js'
import { AllowedOrigins } from './http/cors.js'
import { openSigningKeys, type SigningKeys } from './keys/open-signing-keys.js'
import { InMemoryLoginThrottle } from './limits/in-memory-login-throttle.js'
import { createLogger, type Logger } from './logger.js'
import { PrometheusMetrics } from './metrics/prometheus.js'
import { connect, type Database } from './storage/connect.js'
import { migrate } from './storage/migrate.js'
import { createStores } from './storage/stores.js'

export interface Latch {
  app: Koa
  core: Core
  /** The signing keys as this replica sees them; they change as keys rotate. */
  keys: KeyRingSource
  /** The ring in force at this instant: `keys.current()`. */
  readonly keyRing: KeyRing
  database: Database
  logger: Logger
  /** This replica's side of the revocation feed (started only with `background`). */
  feed: RevocationFeed
  /**
   * GET /metrics in the Prometheus format, to be served on a listener of its own (LATCH_METRICS_PORT;
   * src/server.ts listens); null when metrics are off.
   */
  metrics: { handler: RequestListener } | null
  /** Ends every feed stream, so that a graceful shutdown is not held open by them. */
  closeStreams(): void
  close(): Promise<void>
}

export interface LatchOptions {
  clock?: Clock
  logger?: Logger
  hasher?: PasswordHasher
  /** Apply pending migrations before serving (the server does; one-shot CLI commands need not). */
  migrate?: boolean
  /**
   * Run what a serving replica runs besides answering requests: the revocation feed's reads and
   * pruning, LISTEN for other replicas' revocations (PostgreSQL), webhook delivery. One-shot CLI
   * commands leave it off. On SQLite this also moves WAL checkpoints to a worker thread.
   */
  background?: boolean
}

/**
 * The composition root: config -> database -> keys -> domain -> HTTP app. Everything is built
 * once here; nothing on a request path reads configuration or loads keys.
 */
export async function createLatch(config: Readonly<Config>, options: LatchOptions = {}): Promise<Latch> {
  const logger = options.logger ?? createLogger(config.logLevel)
  const clock = options.clock ?? systemClock
  // A serving replica checkpoints SQLite's WAL off its event loop (see storage/sqlite-checkpointer.ts).
  const database = connect(config.databaseUrl, options.background ? { checkpointInWorker: { logger } } : {})
  let keys: SigningKeys | undefined
  const closers: (() => unknown)[] = []
  try {
    if (options.migrate) {
      const { applied } = await migrate(database)
      if (applied.length > 0) logger.info({ applied }, 'applied database migrations')
    }
    const stores = createStores(database)
    // Off unless LATCH_METRICS_PORT is set: then nothing records anything, and requests skip it.
    const metrics = config.metrics ? new PrometheusMetrics() : null
    const allowedOrigins = await AllowedOrigins.open({ load: () => stores.clients.listAllowedOrigins(), refreshIntervalSeconds: config.corsRefreshInterval, logger })
    closers.push(() => allowedOrigins.close())
    // A client created in this process allows its origins at once; other processes' within an interval.
    const clients: typeof stores.clients = {
      ...stores.clients,
      create: async (...args) => {
        await stores.clients.create(...args)
        await allowedOrigins.refresh()
      },
    }
    keys = await openSigningKeys(config.keys, { store: stores.signingKeys, clock, logger })
    const { keyRing, refreshTokenKey } = keys
    const core = createCore({
      users: stores.users,
      sessions: stores.sessions,
      audit: stores.audit,
      clients,
      accessTokenRevocations: stores.accessTokenRevocations,
      hasher: options.hasher ?? new PasswordHasher(ARGON2_PARAMETERS, { concurrency: argon2Concurrency(config.threadPoolSize) }),
      loginThrottle: new InMemoryLoginThrottle(config.loginThrottle),
      secrets: new RefreshTokenSecrets(refreshTokenKey),
      accessTokens: new AccessTokens({
        keys: keyRing,
        issuer: config.issuer,
        audience: config.audience,
        lifetimeSeconds: config.accessTokenTtl,
        clock,
      }),
      signingKeys: keys.management,
      clock,
      settings: {
        registrationOpen: config.registrationOpen,
        clientId: config.clientId,
        scope: config.scope,
        audience: config.audience,
        absoluteLifetimeSeconds: config.sessionAbsoluteTtl,
        idleLifetimeSeconds: config.sessionIdleTtl,
        reuseGraceSeconds: config.refreshReuseGrace,
      },
      metrics: metrics ?? NO_OUTCOME_METRICS,
    })
    // The first-party client (LATCH_CLIENT_ID) must exist before /login issues tokens for it.
    await core.ensureFirstPartyClient()
    const feed = new RevocationFeed({ store: stores.revocationFeed, signal: stores.revocationSignal, keys: keyRing, issuer: config.issuer, clock, logger, heartbeatSeconds: config.feedHeartbeat, pollMilliseconds: config.feedPollInterval * 1000, ...(metrics ? { metrics } : {}) })
    metrics?.countStreams(() => feed.subscriberCount)
    closers.push(() => feed.close())
    if (options.background) {
      await feed.start()
      const listener = stores.listenToOtherReplicas((error, retryInMs) =>
        logger.warn({ err: error, retryInMs }, 'lost the LISTEN connection for other replicas\' revocations; polling meanwhile'),
      )
      closers.push(() => listener.close())
      const webhooks = new WebhookDelivery({ store: stores.feedWebhooks, feed, clock, logger, ...(metrics ? { metrics } : {}) })
      feed.onEvents(() => void webhooks.run())
      webhooks.start()
      closers.push(() => webhooks.close())
    }
    const app = createApp({
      core,
      keyRing,
      feed,
      jwksMaxAge: config.keys.publicationDelay,
      feedMaxStreams: config.feedMaxStreams,
      health: stores.health,
      logger,
      bodyLimit: config.bodyLimit,
      issuer: config.issuer,
      trustedProxies: config.trustedProxies,
      allowedOrigins,
      metrics,
    })
    const opened = keys
    return {
      app,
      core,
      keys: keyRing,
      get keyRing() {
        return keyRing.current()
      },
      database,
      logger,
      feed,
      metrics: metrics ? { handler: metrics.handler } : null,
      closeStreams: () => feed.close(),
      close: async () => {
        await Promise.all(closers.map((close) => close()))
        opened.close()
        await database.close()
      },
    }
  } catch (error) {
    await Promise.all(closers.map((close) => close()))
    keys?.close()
    await database.close()
    throw error
  }
}
