import { EventEmitter } from 'node:events'
import { createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, type RemoteJWKSet } from 'jose'
import { accessTokenVerifier, type AccessTokenClaims, type AccessTokenRules } from './access-token.js'
import { basicAuthorization } from './client-auth.js'
import { compareCursors, isCursor } from './cursor.js'
import { discover, type IssuerEndpoints } from './discovery.js'
import { revoked, stale, VerifierError, type VerifierErrorCode, type VerifierErrorReason } from './errors.js'
import { PollFeed, StreamFeed, backoff, type FeedClient, type FeedHandler } from './feed-client.js'
import { Freshness, type FreshnessState, type StaleReason } from './freshness.js'
import { bearerToken, koaMiddleware, type KoaLikeMiddleware, type KoaOptions, type RequestLike } from './http.js'
import { Introspector } from './introspection.js'
import { RevocationSet, type Revocation } from './revocation-set.js'
import { IGNORED_SET_REASONS, verifySecurityEvent, type IgnoredSetReason } from './security-event.js'
import { TokenCache } from './token-cache.js'

/** Reconnects a SET signed by an unpublished key is retried for (backoff 1 s doubling to 10 s: about half a minute) before it is ignored as forged. */
const MAX_RETRIES_FOR_KEY = 5

export interface VerifierOptions {
  /** Latch's issuer (`LATCH_ISSUER`), exactly as in the tokens' `iss`; discovery starts from it. */
  issuer: string
  /** The audience (or audiences) this service accepts: its client's `aud`. */
  audience: string | readonly string[]
  /** The edge's confidential client (`npx latch create-edge`), for the feed and introspection. */
  clientId: string
  clientSecret: string
  /** `stream` (default): hold `GET /events/stream` open. `poll`: ask `GET /events` every `pollInterval`. */
  mode?: 'stream' | 'poll'
  /** Milliseconds without a current view of the feed after which the verifier is stale (default 10 000). */
  staleAfter?: number
  /**
   * What a stale verifier does with a token that verifies: `fail-closed` (default) refuses it
   * with `stale` (HTTP 503); `introspect` asks the introspection endpoint, per token, with a short
   * cache (`introspectionCacheTtl`).
   */
  onStale?: 'fail-closed' | 'introspect'
  /** Seconds of clock skew tolerated on `exp` (default 5). */
  leeway?: number
  /**
   * Distinct tokens whose verified claims are kept until their `exp`, from their second
   * verification on (default 10 000; 0 disables).
   */
  tokenCacheSize?: number
  /** Hard cap on revocation entries (default 100 000). Past it the verifier is stale, never lenient. */
  maxEntries?: number
  /** Milliseconds an introspection answer is reused for the same token (default 3 000). */
  introspectionCacheTtl?: number
  /** Poll mode: milliseconds between polls once caught up (default 2 000; must be under `staleAfter`). */
  pollInterval?: number
  /** Poll mode: `limit` of each page (default 1 000). */
  pollLimit?: number
  /** Milliseconds: first reconnect delay (unless the stream sent `retry`) and its cap (defaults 1 000 and 10 000). */
  reconnect?: { initialDelay?: number; maxDelay?: number }
  /** Milliseconds a stream may stay silent before it is dropped and reopened (default `staleAfter`). */
  idleTimeout?: number
  /** Milliseconds after a JWKS fetch during which an unknown `kid` does not fetch again (default 30 000). */
  jwksCooldown?: number
  /** Milliseconds the JWKS is kept before it is fetched again (default 300 000, Latch's publication delay). */
  jwksCacheMaxAge?: number
  /** Milliseconds for discovery, JWKS and introspection requests (default 5 000). */
  requestTimeout?: number
  /** Milliseconds between two sweeps of lapsed revocation entries (default 30 000). */
  sweepInterval?: number
  /** Narrows the accepted signature algorithms (always asymmetric, always the key's own). */
  algorithms?: readonly string[]
  /** The fetch to use for every request (default: the global one). */
  fetch?: typeof globalThis.fetch
  /** The clock for expiry, staleness and caches (default: the system clock). Tests move it. */
  clock?: { now(): Date }
  /** Told about feed disconnects and overflows, in words that never contain a token. */
  logger?: { warn(message: string): void }
}

export interface VerifierStats {
  mode: 'stream' | 'poll'
  fresh: boolean
  staleReason: StaleReason | 'discovery' | 'closed' | null
  /** Tokens accepted (including cache hits). */
  verified: number
  /** Verifications whose signature check was skipped because the exact token was cached (accepted or not). */
  cacheHits: number
  rejected: Record<VerifierErrorCode, number>
  rejectedReasons: Partial<Record<VerifierErrorReason, number>>
  appliedSets: number
  ignoredSets: Record<IgnoredSetReason, number>
  resets: number
  /** Connections (or polls) that ended and were retried. */
  reconnects: number
  lastDisconnect: string | null
  /** Last SET or heartbeat received (milliseconds since the epoch), caught up or not. */
  lastHeardAt: number | null
  /** The last instant the revocation set was known complete. */
  currentAt: number | null
  cursor: string | null
  entries: number
  maxEntries: number
  /** True while an entry had to be refused for lack of room: the verifier is stale until a reset. */
  overflowed: boolean
  introspection: { requests: number; cacheHits: number; failures: number }
  tokenCache: { size: number; capacity: number }
}

/** What the verifier tells its listeners (`verifier.on(name, listener)`). */
export interface VerifierEvents {
  /** A valid SET was applied (or, for `user_enabled`, lifted a lock). */
  revocation: [Revocation]
  /** A SET was ignored: forged, unsigned, wrong issuer or typ, unknown event type… */
  ignored: [{ reason: IgnoredSetReason; cursor: string | undefined }]
  /** The feed said `reset`: the set was dropped and is being rebuilt. */
  reset: []
  /** The verifier became fresh (caught up, within `staleAfter`). */
  fresh: []
  /** The verifier became stale. */
  stale: [{ reason: StaleReason | 'discovery' | 'closed' }]
  /** The feed connection ended (or a poll failed); it is retried. */
  disconnect: [{ reason: string }]
  /** An entry could not be stored: the set is full (`maxEntries`). */
  overflow: [{ entries: number }]
}

/**
 * A running verifier: local verification of Latch access tokens against the issuer's JWKS and the
 * revocation feed. See {@link createVerifier}.
 */
export interface Verifier extends EventEmitter<VerifierEvents> {
  /**
   * Verifies one access token and checks it against the revocation set; resolves with its claims
   * or throws a {@link VerifierError} (`invalid_token`, `revoked`, `stale`).
   *
   * @example
   * ```ts
   * const claims = await verifier.verify(token)
   * console.log(claims.sub, claims.scope)
   * ```
   */
  verify(token: string): Promise<AccessTokenClaims>
  /**
   * {@link Verifier.verify} for the value of an `Authorization` header (`Bearer <token>`).
   *
   * @example
   * ```ts
   * const claims = await verifier.authenticate(request.headers.authorization)
   * ```
   */
  authenticate(authorization: string | null | undefined): Promise<AccessTokenClaims>
  /**
   * {@link Verifier.authenticate} for any request with Node-style headers (node:http, Express…).
   * On failure, `error.toResponse()` is the answer to send.
   *
   * @example
   * ```ts
   * http.createServer(async (req, res) => {
   *   try {
   *     const claims = await verifier.verifyRequest(req)
   *     res.end(`hello ${claims.sub}`)
   *   } catch (error) {
   *     if (!(error instanceof VerifierError)) throw error
   *     const { status, headers, body } = error.toResponse()
   *     res.writeHead(status, headers).end(JSON.stringify(body))
   *   }
   * })
   * ```
   */
  verifyRequest(request: RequestLike): Promise<AccessTokenClaims>
  /**
   * Koa middleware: claims in `ctx.state.accessToken` (or `stateKey`), else 401 or 503 with an
   * RFC 6749-style JSON body.
   *
   * @example
   * ```ts
   * app.use(verifier.koa())
   * app.use((ctx) => { ctx.body = { user: ctx.state.accessToken.sub } })
   * ```
   */
  koa(options?: KoaOptions): KoaLikeMiddleware
  /**
   * Resolves once the verifier is fresh for the first time (discovered, connected, caught up);
   * rejects if it is closed first.
   *
   * @example
   * ```ts
   * await verifier.ready()
   * server.listen(8080)
   * ```
   */
  ready(): Promise<void>
  /**
   * Counters and state, for metrics and health checks.
   *
   * @example
   * ```ts
   * const { fresh, entries, rejected } = verifier.stats()
   * ```
   */
  stats(): VerifierStats
  /**
   * Stops the feed and the timers; later verifications fail with `stale` (`closed`).
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => verifier.close())
   * ```
   */
  close(): Promise<void>
}

/**
 * Creates a verifier for the access tokens of one Latch issuer. It starts at once: discovers
 * `${issuer}/.well-known/oauth-authorization-server`, fetches the JWKS (again on an unknown
 * `kid`, at most once per `jwksCooldown`), subscribes to the revocation feed with the edge's
 * client credentials, and keeps the revocation set of docs/revocation-feed.md in memory.
 * Verifying a token costs no network call while the feed is fresh.
 *
 * @example
 * ```ts
 * import { createVerifier, VerifierError } from 'latch/verifier'
 *
 * const verifier = createVerifier({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.example.com',
 *   clientId: process.env.LATCH_EDGE_ID!,
 *   clientSecret: process.env.LATCH_EDGE_SECRET!,
 * })
 * await verifier.ready()
 * const claims = await verifier.verify(token) // throws VerifierError: invalid_token | revoked | stale
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  return new LatchVerifier(options)
}

const SYSTEM_CLOCK = { now: () => new Date() }

const ZERO_REJECTED: Record<VerifierErrorCode, number> = { invalid_token: 0, revoked: 0, stale: 0 }

const REVOKED_MESSAGES = {
  session: 'The session of this access token has been revoked.',
  user_version: 'Access tokens of this user issued before a logout or lockout are revoked.',
  user_disabled: 'The account of this access token is disabled.',
  access_token: 'This access token has been revoked.',
} as const

const STALE_MESSAGES: Record<StaleReason | 'discovery' | 'closed', string> = {
  not_caught_up: 'The token revocation feed has not caught up yet; try again shortly.',
  silent: 'The token revocation feed has been silent for too long; try again shortly.',
  capacity: 'The revocation set is full, so revocations may be missing; try again shortly.',
  discovery: 'The issuer metadata could not be fetched yet; try again shortly.',
  closed: 'The verifier is closed.',
}

class LatchVerifier extends EventEmitter<VerifierEvents> implements Verifier {
  readonly #options: Required<Pick<VerifierOptions, 'issuer' | 'mode' | 'staleAfter' | 'onStale' | 'leeway' | 'requestTimeout'>> & VerifierOptions
  readonly #fetch: typeof globalThis.fetch
  readonly #clock: { now(): Date }
  readonly #authorization: string
  readonly #rules: AccessTokenRules
  readonly #tokens: TokenCache<AccessTokenClaims>
  readonly #revocations: RevocationSet
  readonly #freshness: Freshness
  readonly #timers: NodeJS.Timeout[] = []
  #endpoints: IssuerEndpoints | null = null
  #keys: RemoteJWKSet | null = null
  /** When a SET's unknown kid last made the JWKS reload past its cooldown. */
  #forcedKeyReloadAt = Number.NEGATIVE_INFINITY
  /** The SET last retried for want of its key, and how many times. */
  #awaitingKey: { cursor: string | undefined; retries: number } = { cursor: undefined, retries: 0 }
  #verifyToken: ((token: string, now?: Date) => Promise<AccessTokenClaims>) | null = null
  #introspector: Introspector | null = null
  #feed: FeedClient | null = null
  #discovering: Promise<unknown> | null = null
  #discoveryFailed = false
  #cursor: string | undefined
  /** Set on overflow recovery: reconnect without a cursor, so the feed resets and resends everything. */
  #resync = false
  #closed = false
  #wasFresh = false
  #readyPromise: Promise<void>
  #markReady!: () => void
  #failReady!: (error: Error) => void
  #counters = {
    verified: 0,
    cacheHits: 0,
    rejected: { ...ZERO_REJECTED },
    rejectedReasons: {} as Partial<Record<VerifierErrorReason, number>>,
    appliedSets: 0,
    ignoredSets: Object.fromEntries(IGNORED_SET_REASONS.map((reason) => [reason, 0])) as Record<IgnoredSetReason, number>,
    resets: 0,
    reconnects: 0,
    lastDisconnect: null as string | null,
  }

  constructor(options: VerifierOptions) {
    super()
    for (const name of ['issuer', 'clientId', 'clientSecret'] as const) {
      if (typeof options[name] !== 'string' || options[name].length === 0) throw new TypeError(`createVerifier: ${name} is required`)
    }
    const audiences = typeof options.audience === 'string' ? [options.audience] : options.audience
    if (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every((audience) => typeof audience === 'string' && audience.length > 0)) {
      throw new TypeError('createVerifier: audience is required')
    }
    this.#options = {
      mode: 'stream',
      staleAfter: 10_000,
      onStale: 'fail-closed',
      leeway: 5,
      requestTimeout: 5_000,
      ...stripUndefined(options),
    }
    const { mode, staleAfter, onStale, leeway } = this.#options
    if (mode !== 'stream' && mode !== 'poll') throw new TypeError(`createVerifier: mode must be 'stream' or 'poll'`)
    if (onStale !== 'fail-closed' && onStale !== 'introspect') throw new TypeError(`createVerifier: onStale must be 'fail-closed' or 'introspect'`)
    if (!(staleAfter > 0)) throw new RangeError('createVerifier: staleAfter must be a positive number of milliseconds')
    if (!(leeway >= 0 && leeway <= 300)) throw new RangeError('createVerifier: leeway must be 0 to 300 seconds')
    const pollInterval = this.#options.pollInterval ?? Math.min(2_000, staleAfter / 2)
    if (mode === 'poll' && !(pollInterval > 0 && pollInterval < staleAfter)) throw new RangeError('createVerifier: pollInterval must be positive and below staleAfter')
    this.#options.pollInterval = pollInterval

    this.#fetch = options.fetch ?? globalThis.fetch
    this.#clock = options.clock ?? SYSTEM_CLOCK
    this.#authorization = basicAuthorization(options.clientId, options.clientSecret)
    this.#rules = { issuer: options.issuer, audience: options.audience, leewaySeconds: leeway, ...(options.algorithms ? { algorithms: options.algorithms } : {}) }
    // jose accepts while now < exp + leeway (whole seconds): the cache keeps a token exactly that long.
    this.#tokens = new TokenCache(options.tokenCacheSize ?? 10_000, (claims) => (claims.exp + leeway) * 1000 - 1)
    this.#revocations = new RevocationSet({ maxEntries: options.maxEntries ?? 100_000, graceMs: leeway * 1000 })
    this.#freshness = new Freshness(staleAfter)
    this.#readyPromise = new Promise<void>((resolve, reject) => {
      this.#markReady = resolve
      this.#failReady = reject
    })
    this.#readyPromise.catch(() => {})

    const tick = setInterval(() => this.#observe(this.#state(this.#now())), Math.max(10, Math.min(1_000, staleAfter / 4)))
    const sweep = setInterval(() => this.#sweep(), options.sweepInterval ?? 30_000)
    for (const timer of [tick, sweep]) {
      timer.unref()
      this.#timers.push(timer)
    }
    void this.#start()
  }

  verify(token: string): Promise<AccessTokenClaims> {
    // Written with as few promises as possible: on a never-seen token this is jose's promise and
    // one more; on a cached one, a single resolved promise.
    try {
      if (this.#closed) throw stale('closed', STALE_MESSAGES.closed)
      // With the system clock, jose reads it itself: no Date per call on the hot path.
      const date = this.#clock === SYSTEM_CLOCK ? undefined : this.#clock.now()
      const now = date === undefined ? Date.now() : date.getTime()
      const cached = typeof token === 'string' ? this.#tokens.get(token, now) : undefined
      if (cached !== undefined) {
        this.#counters.cacheHits += 1
        return this.#settle(this.#admit(token, cached, now))
      }
      const verifyToken = this.#verifyToken
      if (verifyToken === null) return this.#awaitDiscovery().then(() => this.verify(token), this.#refused)
      return verifyToken(token, date).then((claims) => {
        this.#tokens.offer(token, claims)
        return this.#settle(this.#admit(token, claims, now))
      }, this.#refused)
    } catch (error) {
      return this.#refused(error)
    }
  }

  /** Counts a refusal and rejects with it. */
  readonly #refused = (error: unknown): Promise<never> => {
    if (error instanceof VerifierError) {
      this.#counters.rejected[error.code] += 1
      this.#counters.rejectedReasons[error.reason] = (this.#counters.rejectedReasons[error.reason] ?? 0) + 1
    }
    return Promise.reject(error)
  }

  /** Counts the outcome of `#admit`. */
  #settle(outcome: AccessTokenClaims | Promise<AccessTokenClaims> | VerifierError): Promise<AccessTokenClaims> {
    if (outcome instanceof VerifierError) return this.#refused(outcome)
    if (outcome instanceof Promise) {
      return outcome.then((claims) => {
        this.#counters.verified += 1
        return claims
      }, this.#refused)
    }
    this.#counters.verified += 1
    return Promise.resolve(outcome)
  }

  /**
   * Everything after the signature, on every request, cached token or not: the revocation set,
   * then freshness, then (stale) the policy. Returns the refusal rather than throwing it.
   */
  #admit(token: string, claims: AccessTokenClaims, now: number): AccessTokenClaims | Promise<AccessTokenClaims> | VerifierError {
    const kind = this.#revocations.check(claims, now)
    if (kind) return revoked(kind, REVOKED_MESSAGES[kind])
    const state = this.#state(now)
    this.#observe(state)
    if (state.fresh) return claims
    if (this.#options.onStale === 'fail-closed' || state.reason === 'closed') return stale(state.reason, STALE_MESSAGES[state.reason])
    return this.#introspect(token, claims)
  }

  authenticate(authorization: string | null | undefined): Promise<AccessTokenClaims> {
    return this.#authenticate(authorization)
  }

  verifyRequest(request: RequestLike): Promise<AccessTokenClaims> {
    return this.#authenticate(request.headers.authorization)
  }

  #authenticate(authorization: string | readonly string[] | null | undefined): Promise<AccessTokenClaims> {
    let token: string
    try {
      token = bearerToken(authorization)
    } catch (error) {
      return this.#refused(error)
    }
    return this.verify(token)
  }

  koa(options: KoaOptions = {}): KoaLikeMiddleware {
    return koaMiddleware((authorization) => this.authenticate(authorization), options)
  }

  ready(): Promise<void> {
    return this.#readyPromise
  }

  stats(): VerifierStats {
    const now = this.#now()
    const state = this.#state(now)
    const introspector = this.#introspector
    return {
      mode: this.#options.mode,
      fresh: state.fresh,
      staleReason: state.fresh ? null : state.reason,
      ...this.#counters,
      rejected: { ...this.#counters.rejected },
      rejectedReasons: { ...this.#counters.rejectedReasons },
      ignoredSets: { ...this.#counters.ignoredSets },
      lastHeardAt: this.#freshness.lastHeardAt,
      currentAt: this.#freshness.currentAt,
      cursor: this.#cursor ?? null,
      entries: this.#revocations.size,
      maxEntries: this.#revocations.maxEntries,
      overflowed: this.#revocations.overflowed,
      introspection: { requests: introspector?.requests ?? 0, cacheHits: introspector?.cacheHits ?? 0, failures: introspector?.failures ?? 0 },
      tokenCache: { size: this.#tokens.size, capacity: this.#tokens.capacity },
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const timer of this.#timers) clearInterval(timer)
    this.#failReady(stale('closed', STALE_MESSAGES.closed))
    await this.#feed?.close()
    this.#observe(this.#state(this.#now()))
  }

  // --- verification ---

  async #introspect(token: string, claims: AccessTokenClaims): Promise<AccessTokenClaims> {
    const introspector = this.#introspector
    if (!introspector) throw stale('introspection_failed', 'The issuer advertises no introspection endpoint, and the revocation feed is stale.')
    let active: boolean
    try {
      active = await introspector.active(token)
    } catch {
      throw stale('introspection_failed', 'The revocation feed is stale and the introspection endpoint did not answer; try again shortly.')
    }
    if (!active) throw revoked('inactive', 'The issuer reports this access token as inactive.')
    return claims
  }

  /** Waits for the discovery attempt in flight; throws `stale` when there is still no metadata. */
  async #awaitDiscovery(): Promise<(token: string, now?: Date) => Promise<AccessTokenClaims>> {
    if (!this.#verifyToken && this.#discovering && !this.#discoveryFailed) await this.#discovering.catch(() => {})
    if (!this.#verifyToken) throw stale('discovery', STALE_MESSAGES.discovery)
    return this.#verifyToken
  }

  // --- startup ---

  async #start(): Promise<void> {
    const { issuer, requestTimeout, reconnect } = this.#options
    let failures = 0
    // Discovery, then the JWKS, retried until both are had: verifying needs no request after this.
    while (!this.#closed && !this.#keys) {
      const attempt = this.#discover()
      this.#discovering = attempt
      try {
        await attempt
      } catch (error) {
        failures += 1
        this.#discoveryFailed = true
        this.#options.logger?.warn(`latch verifier: discovery of ${issuer} failed (${error instanceof Error ? error.message : String(error)}); retrying`)
        await delay(backoff(reconnect?.initialDelay ?? 1_000, reconnect?.maxDelay ?? 10_000, failures))
      }
    }
    if (this.#closed || !this.#endpoints) return
    this.#discoveryFailed = false
    const endpoints = this.#endpoints
    if (endpoints.introspectionEndpoint) {
      this.#introspector = new Introspector({
        endpoint: endpoints.introspectionEndpoint,
        authorization: this.#authorization,
        fetch: this.#fetch,
        ttl: this.#options.introspectionCacheTtl ?? 3_000,
        capacity: Math.max(1_000, Math.min(this.#tokens.capacity, 100_000)),
        timeout: requestTimeout,
        now: () => this.#now(),
      })
    }
    const common = {
      authorization: this.#authorization,
      fetch: this.#fetch,
      handler: this.#handler(),
      reconnect: { initialDelay: reconnect?.initialDelay ?? 1_000, maxDelay: reconnect?.maxDelay ?? 10_000 },
      now: () => this.#now(),
    }
    this.#feed =
      this.#options.mode === 'poll'
        ? new PollFeed({ ...common, url: endpoints.eventsEndpoint, interval: this.#options.pollInterval!, limit: this.#options.pollLimit ?? 1_000, timeout: requestTimeout })
        : new StreamFeed({ ...common, url: endpoints.eventsStreamEndpoint, idleTimeout: this.#options.idleTimeout ?? this.#options.staleAfter })
    this.#feed.start()
  }

  async #discover(): Promise<void> {
    const { issuer, requestTimeout } = this.#options
    this.#endpoints ??= await discover(issuer, this.#fetch, requestTimeout)
    const keys = createRemoteJWKSet(new URL(this.#endpoints.jwksUri), {
      cooldownDuration: this.#options.jwksCooldown ?? 30_000,
      cacheMaxAge: this.#options.jwksCacheMaxAge ?? 300_000,
      timeoutDuration: requestTimeout,
      [customFetch]: this.#fetch as never,
    })
    try {
      await keys.reload()
    } catch (error) {
      throw new Error(`the JWKS at ${this.#endpoints.jwksUri} could not be fetched: ${error instanceof Error ? error.message : String(error)}`)
    }
    this.#keys = keys
    this.#verifyToken = accessTokenVerifier(keys, this.#rules)
  }

  // --- the feed ---

  #handler(): FeedHandler {
    return {
      cursor: () => (this.#resync ? undefined : this.#cursor),
      connecting: () => {
        if (this.#resync) {
          // Starting over without a cursor: the feed will reset; do it now, in case it does not.
          this.#resync = false
          this.#dropSet()
        }
        this.#freshness.connecting()
      },
      reset: () => {
        this.#dropSet()
        this.#counters.resets += 1
        this.emit('reset')
        this.#observe(this.#state(this.#now()))
      },
      event: async (jwt, cursor) => {
        const judge = () =>
          verifySecurityEvent(jwt, this.#keys!, {
            issuer: this.#options.issuer,
            cursor: isCursor(cursor) ? cursor : undefined,
            ...(this.#options.algorithms ? { algorithms: this.#options.algorithms } : {}),
          })
        let verdict = await judge()
        if (!verdict.ok && verdict.reason === 'signature' && this.#mayBeSignedByAnUnseenKey(jwt)) {
          await this.#reloadKeysForSet()
          verdict = await judge()
          // Still no such key (a replica that has not loaded it yet, a cache in front of the JWKS):
          // no verdict on the SET either. Ignoring it would lose its revocation, so the feed
          // retries it after a reconnect, a few times (the edge turns stale meanwhile if that
          // takes long); a key that never appears is a forgery's, and the SET is ignored.
          if (!verdict.ok && verdict.reason === 'signature' && this.#mayBeSignedByAnUnseenKey(jwt) && this.#retryForKey(cursor)) {
            throw new Error('a revocation event is signed by a key the JWKS does not publish (yet); retrying')
          }
        }
        const now = this.#now()
        if (verdict.ok) {
          const wasOverflowed = this.#revocations.overflowed
          const result = this.#revocations.apply(verdict.revocation, now)
          if (result === 'overflow') {
            // Said once per overflow; the entries refused after it come again with the rebuild.
            if (!wasOverflowed) {
              this.#options.logger?.warn(`latch verifier: revocation set full (maxEntries ${this.#revocations.maxEntries}); stale until lapsed entries make room and it is rebuilt`)
              this.emit('overflow', { entries: this.#revocations.size })
            }
          } else {
            this.#counters.appliedSets += 1
            if (result === 'applied') this.emit('revocation', verdict.revocation)
          }
        } else {
          this.#counters.ignoredSets[verdict.reason] += 1
          this.emit('ignored', { reason: verdict.reason, cursor })
        }
        if (isCursor(cursor)) this.#advance(cursor)
        this.#freshness.heard(now)
        this.#observe(this.#state(now))
      },
      advance: (cursor) => this.#advance(cursor),
      caughtUp: (at, cursor) => {
        if (cursor !== undefined) this.#advance(cursor)
        this.#freshness.caughtUpAt(at)
        this.#observe(this.#state(this.#now()))
      },
      disconnected: (reason) => {
        this.#counters.reconnects += 1
        this.#counters.lastDisconnect = reason
        this.#options.logger?.warn(`latch verifier: revocation feed ${this.#options.mode === 'poll' ? 'poll failed' : 'connection ended'} (${reason}); retrying`)
        this.emit('disconnect', { reason })
      },
    }
  }

  /**
   * Whether the SET names a kid the cached JWKS lacks, while claiming to be a SET of this issuer
   * (unverified: it only decides whether to look for the key; a SET that names another issuer or
   * is no SET at all is ignored without waiting for any key).
   */
  #mayBeSignedByAnUnseenKey(jwt: string): boolean {
    let kid: unknown
    let issuer: unknown
    try {
      const header = decodeProtectedHeader(jwt)
      if (header.typ !== 'secevent+jwt') return false
      kid = header.kid
      issuer = decodeJwt(jwt).iss
    } catch {
      return false
    }
    return issuer === this.#options.issuer && typeof kid === 'string' && !this.#keys!.jwks()?.keys.some((key) => key.kid === kid)
  }

  /** Whether the SET at `cursor` may be retried once more for want of its key. */
  #retryForKey(cursor: string | undefined): boolean {
    if (this.#awaitingKey.cursor !== cursor) this.#awaitingKey = { cursor, retries: 0 }
    this.#awaitingKey.retries += 1
    return this.#awaitingKey.retries <= MAX_RETRIES_FOR_KEY
  }

  /**
   * A SET signed by a key this edge has not fetched yet: Latch started signing with a new key
   * within the JWKS cooldown of this edge's last fetch (a key publication delay shorter than
   * jwksCooldown). So the JWKS is reloaded past the cooldown, at most once a second (only the
   * feed, Latch's own authenticated connection, can ask for it); a failed reload throws, and the
   * feed retries the SET after a reconnect.
   */
  async #reloadKeysForSet(): Promise<void> {
    const wait = this.#forcedKeyReloadAt + 1_000 - this.#now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    this.#forcedKeyReloadAt = this.#now()
    await this.#keys!.reload()
  }

  #advance(cursor: string): void {
    if (this.#cursor === undefined || compareCursors(cursor, this.#cursor) > 0) this.#cursor = cursor
  }

  #dropSet(): void {
    this.#revocations.clear()
    this.#freshness.reset()
    this.#cursor = undefined
  }

  #sweep(): void {
    const now = this.#now()
    this.#revocations.sweep(now)
    // After an overflow, once lapsed entries made room, rebuild from scratch: the refused entry is
    // only to be had again from a full resend.
    if (this.#revocations.overflowed && !this.#resync && this.#revocations.size < this.#revocations.maxEntries * 0.9) {
      this.#resync = true
      this.#feed?.restart()
    }
    this.#observe(this.#state(now))
  }

  // --- freshness ---

  #state(now: number): FreshnessState | { fresh: false; reason: 'discovery' | 'closed' } {
    if (this.#closed) return { fresh: false, reason: 'closed' }
    return this.#freshness.state(now, this.#revocations.overflowed)
  }

  /** Emits `fresh` and `stale` on transitions, and resolves `ready()` at the first fresh moment. */
  #observe(state: FreshnessState | { fresh: false; reason: 'discovery' | 'closed' }): void {
    if (state.fresh === this.#wasFresh) return
    this.#wasFresh = state.fresh
    if (state.fresh) {
      this.#markReady()
      this.emit('fresh')
    } else {
      this.emit('stale', { reason: state.reason })
    }
  }

  #now(): number {
    return this.#clock === SYSTEM_CLOCK ? Date.now() : this.#clock.now().getTime()
  }
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds).unref())
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T
}
