import { z } from 'zod'
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './domain/tokens/key-ring.js'
import type { LoginThrottleSettings } from './limits/in-memory-login-throttle.js'

/**
 * Every tunable, read from the environment once at boot, validated, and frozen. Each variable is
 * listed with its default in .env.example and the README; keep the three in step.
 */
const DAY = 86_400

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => ['true', '1', 'yes'].includes(value))

const seconds = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: 'must be a whole number of seconds' })
    .int({ error: 'must be a whole number of seconds' })
    .min(min, { error: `must be at least ${min} seconds` })
    .max(max, { error: `must be at most ${max} seconds` })
    .default(fallback)

const count = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` })
    .default(fallback)

const EnvironmentSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    DATABASE_URL: z
      .string()
      .regex(/^(file:|postgres(ql)?:\/\/)/, { error: 'must start with file: (SQLite) or postgresql:// (PostgreSQL)' })
      .default('file:./data/latch.db'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LATCH_ISSUER: z.url({ error: 'must be an absolute URL such as https://auth.example.com' }).optional(),
    LATCH_AUDIENCE: z.string().min(1).default('latch'),
    LATCH_CLIENT_ID: z.string().min(1).default('latch-web'),
    LATCH_SCOPE: z.string().min(1).default('api'),
    LATCH_ACCESS_TOKEN_TTL: seconds(60, 900, 300),
    LATCH_SESSION_ABSOLUTE_TTL: seconds(300, 365 * DAY, 30 * DAY),
    LATCH_SESSION_IDLE_TTL: seconds(300, 365 * DAY, 7 * DAY),
    LATCH_REFRESH_REUSE_GRACE: seconds(0, 120, 10),
    LATCH_BODY_LIMIT: z.coerce.number().int().min(1024).max(1_048_576).default(16_384),
    LATCH_REGISTRATION: z.enum(['open', 'closed']).default('open'),
    LATCH_SIGNING_ALG: z.enum(SIGNING_ALGORITHMS).default('EdDSA'),
    LATCH_KEYS_FILE: z.string().min(1).default('./data/keys.json'),
    LATCH_SIGNING_KEYS: z.string().optional(),
    LATCH_SIGNING_KEYS_FILE: z.string().min(1).optional(),
    LATCH_KEY_ENCRYPTION_KEY: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, { error: 'must be exactly 32 random bytes, base64url-encoded (43 characters; `npx latch generate-keys` prints one)' })
      .optional(),
    LATCH_REFRESH_TOKEN_KEY: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43,}$/, { error: 'must be at least 32 random bytes, base64url-encoded (43+ characters)' })
      .optional(),
    LATCH_KEY_PUBLICATION_DELAY: seconds(0, DAY, 300),
    LATCH_KEY_REFRESH_INTERVAL: seconds(1, 3600, 30),
    // false, true (one proxy), or how many proxies of one's own stand in front (a CDN and a load balancer: 2).
    LATCH_TRUST_PROXY: z
      .union([flag.transform((on) => (on ? 1 : 0)), z.coerce.number().int().min(1).max(10)], { error: 'must be true, false or a number of proxies from 1 to 10' })
      .default(0),
    LATCH_FEED_HEARTBEAT: seconds(1, 60, 2),
    LATCH_FEED_POLL_INTERVAL: seconds(1, 3600, 1),
    LATCH_CORS_REFRESH_INTERVAL: seconds(1, 3600, 30),
    LATCH_FEED_MAX_STREAMS: count(1, 100_000, 1000),
    LATCH_LOGIN_MAX_FAILURES: count(0, 1000, 10),
    LATCH_LOGIN_MAX_FAILURES_PER_IP: count(0, 1_000_000, 100),
    LATCH_LOGIN_FAILURE_WINDOW: seconds(1, DAY, 900),
    LATCH_METRICS_PORT: z.coerce.number({ error: 'must be a port number' }).int({ error: 'must be a port number' }).min(0).max(65_535).optional(),
    LATCH_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  })
  .superRefine((env, context) => {
    // Metrics have a listener of their own, so that they are never on the public API port by accident.
    if (env.LATCH_METRICS_PORT !== undefined && env.LATCH_METRICS_PORT !== 0 && env.LATCH_METRICS_PORT === env.PORT) {
      context.addIssue({ code: 'custom', path: ['LATCH_METRICS_PORT'], message: 'must differ from PORT: metrics have a listener of their own' })
    }
    if (env.LATCH_SESSION_IDLE_TTL > env.LATCH_SESSION_ABSOLUTE_TTL) {
      context.addIssue({ code: 'custom', path: ['LATCH_SESSION_IDLE_TTL'], message: 'must not exceed LATCH_SESSION_ABSOLUTE_TTL' })
    }
    // Static mode: the signing keys themselves in a variable, or in a file it names (a mounted secret).
    const staticKeys = env.LATCH_SIGNING_KEYS ? 'LATCH_SIGNING_KEYS' : env.LATCH_SIGNING_KEYS_FILE ? 'LATCH_SIGNING_KEYS_FILE' : null
    if (env.LATCH_SIGNING_KEYS && env.LATCH_SIGNING_KEYS_FILE) {
      context.addIssue({ code: 'custom', path: ['LATCH_SIGNING_KEYS_FILE'], message: 'set LATCH_SIGNING_KEYS or LATCH_SIGNING_KEYS_FILE, not both' })
    }
    // Production never generates secrets into a file: the key-encryption key (or, in static mode,
    // the signing keys themselves) and the refresh-token key must be configured.
    if (env.NODE_ENV === 'production') {
      const keyVariables = [...(staticKeys ? [] : ['LATCH_KEY_ENCRYPTION_KEY' as const]), 'LATCH_REFRESH_TOKEN_KEY' as const]
      for (const name of keyVariables) {
        if (!env[name]) {
          context.addIssue({
            code: 'custom',
            path: [name],
            message: 'is required when NODE_ENV=production (run `npx latch generate-keys` to create the key variables)',
          })
        }
      }
      if (!env.LATCH_ISSUER) {
        context.addIssue({ code: 'custom', path: ['LATCH_ISSUER'], message: 'is required when NODE_ENV=production (the public URL of this server, such as https://auth.example.com)' })
      }
    }
    if (staticKeys && env.LATCH_KEY_ENCRYPTION_KEY) {
      context.addIssue({
        code: 'custom',
        path: [staticKeys],
        message: 'fixes the signing keys in configuration and cannot be combined with LATCH_KEY_ENCRYPTION_KEY (keys managed in the database); set one of them',
      })
    } else if (staticKeys && !env.LATCH_REFRESH_TOKEN_KEY && env.NODE_ENV !== 'production') {
      context.addIssue({ code: 'custom', path: [staticKeys], message: `set ${staticKeys} and LATCH_REFRESH_TOKEN_KEY together, or neither` })
    } else if (!staticKeys && Boolean(env.LATCH_KEY_ENCRYPTION_KEY) !== Boolean(env.LATCH_REFRESH_TOKEN_KEY) && env.NODE_ENV !== 'production') {
      context.addIssue({
        code: 'custom',
        path: [env.LATCH_KEY_ENCRYPTION_KEY ? 'LATCH_REFRESH_TOKEN_KEY' : 'LATCH_KEY_ENCRYPTION_KEY'],
        message: 'set LATCH_KEY_ENCRYPTION_KEY and LATCH_REFRESH_TOKEN_KEY together, or neither (development then generates both into LATCH_KEYS_FILE)',
      })
    }
  })

/**
 * Where key material comes from. Signing keys live in the database, sealed under the
 * key-encryption key, which comes from configuration (production) or from a generated git-ignored
 * file (development), like the refresh-token key. `static` is the alternative for operators who
 * fix the signing keys in configuration (LATCH_SIGNING_KEYS, the private JWK Set itself, or
 * LATCH_SIGNING_KEYS_FILE, a file holding it): nothing is stored or rotated then.
 */
export type KeySource =
  | { kind: 'environment'; keyEncryptionKey: string; refreshTokenKey: string }
  | { kind: 'file'; path: string }
  | { kind: 'static'; signingKeys: string | { file: string }; refreshTokenKey: string }

export interface KeySettings {
  source: KeySource
  /** The algorithm of keys Latch generates (the first key, and rotations without --alg). */
  algorithm: SigningAlgorithm
  /** Seconds a new key is published before it may sign; also the JWKS Cache-Control max-age. */
  publicationDelay: number
  /** Seconds between two reloads of the keys from the database by each replica. */
  refreshInterval: number
}

export interface Config {
  environment: 'development' | 'production' | 'test'
  port: number
  host: string
  databaseUrl: string
  logLevel: string
  issuer: string
  audience: string
  clientId: string
  scope: string
  accessTokenTtl: number
  sessionAbsoluteTtl: number
  sessionIdleTtl: number
  refreshReuseGrace: number
  bodyLimit: number
  registrationOpen: boolean
  keys: KeySettings
  /** How many proxies of the operator's own append to X-Forwarded-For (0: none, the socket's address is the client's). */
  trustedProxies: number
  /** Seconds between two heartbeats on each revocation-feed stream. */
  feedHeartbeat: number
  /** Seconds between two reads of the revocation log without a wake-up: the bound on a lost NOTIFY. */
  feedPollInterval: number
  /** Most revocation-feed streams one replica holds open. */
  feedMaxStreams: number
  /** Seconds between two reloads of the clients' allowed origins (CORS) by each replica. */
  corsRefreshInterval: number
  /** Failed logins allowed per email and address, and per address, within the window (0: no limit). */
  loginThrottle: LoginThrottleSettings
  /** Where GET /metrics (Prometheus) listens, apart from the API; null when metrics are off (the default). */
  metrics: { port: number; host: string } | null
  /**
   * Threads in libuv's pool, as libuv itself reads UV_THREADPOOL_SIZE (4 unless set, 1 to 1024).
   * Not a Latch setting: the password hasher sizes its argon2 concurrency to leave one free.
   */
  threadPoolSize: number
}

function keySource(env: z.infer<typeof EnvironmentSchema>): KeySource {
  if (env.LATCH_SIGNING_KEYS && env.LATCH_REFRESH_TOKEN_KEY) {
    return { kind: 'static', signingKeys: env.LATCH_SIGNING_KEYS, refreshTokenKey: env.LATCH_REFRESH_TOKEN_KEY }
  }
  if (env.LATCH_SIGNING_KEYS_FILE && env.LATCH_REFRESH_TOKEN_KEY) {
    return { kind: 'static', signingKeys: { file: env.LATCH_SIGNING_KEYS_FILE }, refreshTokenKey: env.LATCH_REFRESH_TOKEN_KEY }
  }
  if (env.LATCH_KEY_ENCRYPTION_KEY && env.LATCH_REFRESH_TOKEN_KEY) {
    return { kind: 'environment', keyEncryptionKey: env.LATCH_KEY_ENCRYPTION_KEY, refreshTokenKey: env.LATCH_REFRESH_TOKEN_KEY }
  }
  return { kind: 'file', path: env.LATCH_KEYS_FILE }
}

function keySettings(env: z.infer<typeof EnvironmentSchema>): KeySettings {
  return {
    source: keySource(env),
    algorithm: env.LATCH_SIGNING_ALG,
    publicationDelay: env.LATCH_KEY_PUBLICATION_DELAY,
    refreshInterval: env.LATCH_KEY_REFRESH_INTERVAL,
  }
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  // Empty variables (FOO=) mean "use the default", as in most twelve-factor servers.
  const present = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''))
  const parsed = EnvironmentSchema.safeParse(present)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const env = parsed.data
  return Object.freeze({
    environment: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    logLevel: env.LOG_LEVEL,
    issuer: env.LATCH_ISSUER ?? `http://localhost:${env.PORT}`,
    audience: env.LATCH_AUDIENCE,
    clientId: env.LATCH_CLIENT_ID,
    scope: env.LATCH_SCOPE,
    accessTokenTtl: env.LATCH_ACCESS_TOKEN_TTL,
    sessionAbsoluteTtl: env.LATCH_SESSION_ABSOLUTE_TTL,
    sessionIdleTtl: env.LATCH_SESSION_IDLE_TTL,
    refreshReuseGrace: env.LATCH_REFRESH_REUSE_GRACE,
    bodyLimit: env.LATCH_BODY_LIMIT,
    registrationOpen: env.LATCH_REGISTRATION === 'open',
    keys: keySettings(env),
    trustedProxies: env.LATCH_TRUST_PROXY,
    feedHeartbeat: env.LATCH_FEED_HEARTBEAT,
    feedPollInterval: env.LATCH_FEED_POLL_INTERVAL,
    feedMaxStreams: env.LATCH_FEED_MAX_STREAMS,
    corsRefreshInterval: env.LATCH_CORS_REFRESH_INTERVAL,
    loginThrottle: {
      maxFailuresPerAccount: env.LATCH_LOGIN_MAX_FAILURES,
      maxFailuresPerAddress: env.LATCH_LOGIN_MAX_FAILURES_PER_IP,
      windowSeconds: env.LATCH_LOGIN_FAILURE_WINDOW,
    },
    metrics: env.LATCH_METRICS_PORT === undefined ? null : Object.freeze({ port: env.LATCH_METRICS_PORT, host: env.LATCH_METRICS_HOST }),
    threadPoolSize: threadPoolSize(environment.UV_THREADPOOL_SIZE),
  })
}

/** libuv's own reading of UV_THREADPOOL_SIZE (never an error: libuv does not refuse a value either). */
function threadPoolSize(value: string | undefined): number {
  const threads = value ? Number.parseInt(value, 10) : 4
  return Number.isFinite(threads) ? Math.min(Math.max(threads, 1), 1024) : 4
}
