import type Koa from 'koa'
import type { Config } from './config.js'
import { systemClock, type Clock } from './domain/clock.js'
import { createCore, type Core } from './domain/core.js'
import { RefreshTokenSecrets } from './domain/sessions/refresh-token-secrets.js'
import { AccessTokens } from './domain/tokens/access-tokens.js'
import type { KeyRing } from './domain/tokens/key-ring.js'
import { PasswordHasher } from './domain/users/password-hasher.js'
import { createApp } from './http/app.js'
import { loadKeys } from './keys/load-keys.js'
import { createLogger, type Logger } from './logger.js'
import { connect, type Database } from './storage/connect.js'
import { migrate } from './storage/migrate.js'
import { createStores } from './storage/stores.js'

export interface Latch {
  app: Koa
  core: Core
  keyRing: KeyRing
  database: Database
  logger: Logger
  close(): Promise<void>
}

export interface LatchOptions {
  clock?: Clock
  logger?: Logger
  hasher?: PasswordHasher
  /** Apply pending migrations before serving (the server does; one-shot CLI commands need not). */
  migrate?: boolean
}

/**
 * The composition root: config -> database -> keys -> domain -> HTTP app. Everything is built
 * once here; nothing on a request path reads configuration or loads keys.
 */
export async function createLatch(config: Readonly<Config>, options: LatchOptions = {}): Promise<Latch> {
  const logger = options.logger ?? createLogger(config.logLevel)
  const clock = options.clock ?? systemClock
  const database = connect(config.databaseUrl)
  try {
    if (options.migrate) {
      const { applied } = await migrate(database)
      if (applied.length > 0) logger.info({ applied }, 'applied database migrations')
    }
    const { keyRing, refreshTokenKey } = await loadKeys(config.keys)
    const stores = createStores(database.prisma)
    const core = createCore({
      users: stores.users,
      sessions: stores.sessions,
      audit: stores.audit,
      hasher: options.hasher ?? new PasswordHasher(),
      secrets: new RefreshTokenSecrets(refreshTokenKey),
      accessTokens: new AccessTokens({
        keyRing,
        issuer: config.issuer,
        audience: config.audience,
        lifetimeSeconds: config.accessTokenTtl,
        clock,
      }),
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
    })
    const app = createApp({ core, keyRing, health: stores.health, logger, bodyLimit: config.bodyLimit, issuer: config.issuer, trustProxy: config.trustProxy })
    return { app, core, keyRing, database, logger, close: () => database.close() }
  } catch (error) {
    await database.close()
    throw error
  }
}
