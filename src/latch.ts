import type Koa from 'koa'
import type { Config } from './config.js'
import { systemClock, type Clock } from './domain/clock.js'
import { createCore, type Core } from './domain/core.js'
import { RefreshTokenSecrets } from './domain/sessions/refresh-token-secrets.js'
import { AccessTokens } from './domain/tokens/access-tokens.js'
import type { KeyRing } from './domain/tokens/key-ring.js'
import type { KeyRingSource } from './domain/tokens/key-ring-source.js'
import { ARGON2_PARAMETERS, argon2Concurrency, PasswordHasher } from './domain/users/password-hasher.js'
import { createApp } from './http/app.js'
import { openSigningKeys, type SigningKeys } from './keys/open-signing-keys.js'
import { createLogger, type Logger } from './logger.js'
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
  let keys: SigningKeys | undefined
  try {
    if (options.migrate) {
      const { applied } = await migrate(database)
      if (applied.length > 0) logger.info({ applied }, 'applied database migrations')
    }
    const stores = createStores(database)
    keys = await openSigningKeys(config.keys, { store: stores.signingKeys, clock, logger })
    const { keyRing, refreshTokenKey } = keys
    const core = createCore({
      users: stores.users,
      sessions: stores.sessions,
      audit: stores.audit,
      clients: stores.clients,
      accessTokenRevocations: stores.accessTokenRevocations,
      hasher: options.hasher ?? new PasswordHasher(ARGON2_PARAMETERS, { concurrency: argon2Concurrency(config.threadPoolSize) }),
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
    })
    // The first-party client (LATCH_CLIENT_ID) must exist before /login issues tokens for it.
    await core.ensureFirstPartyClient()
    const app = createApp({ core, keyRing, jwksMaxAge: config.keys.publicationDelay, health: stores.health, logger, bodyLimit: config.bodyLimit, issuer: config.issuer, trustProxy: config.trustProxy })
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
      close: async () => {
        opened.close()
        await database.close()
      },
    }
  } catch (error) {
    keys?.close()
    await database.close()
    throw error
  }
}
