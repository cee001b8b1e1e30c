import type { ExecutionContext } from 'ava'
import { EventEmitter, once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose'

/**
 * A small real HTTP server speaking the issuer's side of docs/revocation-feed.md, for the
 * verifier's tests until they run against Latch itself: RFC 8414 metadata, the JWKS, `GET
 * /events/stream` (SSE with `Last-Event-ID`, `reset`, backlog, heartbeats), `GET /events`
 * (polling) and `POST /oauth/introspect`, each behind the edge's HTTP Basic credentials decoded as
 * RFC 6749 section 2.3.1 says. It signs real access tokens and real SETs with real keys. It is a
 * fixture of the wire protocol, not a model of Latch: what gets revoked is up to the test.
 *
 * The end-to-end tests replace it with a real Latch (test/helpers/latch.ts): the parts the
 * verifier's tests rely on are `issuer`, `audience`, `clientId`, `clientSecret`, a way to get an
 * access token for a session, and the five kinds of revocation.
 */

export const EVENT = {
  sessionRevoked: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  accountDisabled: 'https://schemas.openid.net/secevent/risc/event-type/account-disabled',
  accountEnabled: 'https://schemas.openid.net/secevent/risc/event-type/account-enabled',
  accessTokenRevoked: 'urn:latch:secevent:access-token-revoked',
} as const

export interface SigningKey {
  kid: string
  alg: 'EdDSA' | 'ES256'
  privateKey: CryptoKey
  publicJwk: JWK
}

export async function generateSigningKey(alg: 'EdDSA' | 'ES256' = 'EdDSA'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) })
  const jwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(jwk)
  return { kid, alg, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } }
}

export interface FeedFixtureOptions {
  clientId?: string
  clientSecret?: string
  audience?: string
  /** Periodic heartbeats on every stream, milliseconds; 0 (default): only after the backlog and after each append. */
  heartbeatMs?: number
  /** The SSE `retry` field (milliseconds) sent at the start of each stream. */
  retryMs?: number
  /** Name the feed endpoints in the metadata (default true); without them the verifier uses the default paths. */
  advertiseFeed?: boolean
  /** Where `now` comes from for the tokens' iat/exp and the entries' times (default: the system clock). */
  clock?: { now(): Date }
  /** Access-token lifetime, seconds (default 300). */
  accessTokenTtl?: number
}

export interface Session {
  sub: string
  sid: string
  ver: number
}

interface Entry {
  cursor: string
  set: string
}

export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
}

export class FeedFixture {
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret: string
  readonly audience: string
  readonly requests: RecordedRequest[] = []
  /** Keys published in the JWKS; the first one signs. */
  keys: SigningKey[]
  /** Decides introspection answers: active, inactive, or `error` for a 500. */
  introspect: (token: string) => boolean | 'error' = () => true
  /** When set, streams answer this status instead of opening. */
  feedStatus: number | null = null
  /** When true, new streams open (200) and then send nothing at all. */
  silentStreams = false
  /** When true, the JWKS endpoint answers 503. */
  jwksDown = false
  jwksFetches = 0

  readonly #server: Server
  readonly #options: FeedFixtureOptions
  readonly #entries: Entry[] = []
  readonly #streams = new Set<ServerResponse>()
  readonly #silent = new Set<ServerResponse>()
  readonly #closings = new EventEmitter()
  #nextCursor = 1
  /** Cursor of the newest entry pruned from the log: resuming from before it needs a reset. */
  #floor = 0
  #heartbeat: NodeJS.Timeout | undefined

  private constructor(server: Server, key: SigningKey, options: FeedFixtureOptions) {
    this.#server = server
    this.#options = options
    this.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    this.clientId = options.clientId ?? 'edge-orders'
    this.clientSecret = options.clientSecret ?? 'edge-secret'
    this.audience = options.audience ?? 'https://orders.example.com'
    this.keys = [key]
    if (options.heartbeatMs) this.#heartbeat = setInterval(() => this.heartbeat(), options.heartbeatMs)
  }

  static async start(options: FeedFixtureOptions = {}): Promise<FeedFixture> {
    const key = await generateSigningKey()
    const server = createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const fixture = new FeedFixture(server, key, options)
    server.on('request', (request, response) => {
      fixture.#handle(request, response).catch((error) => {
        if (!response.headersSent) response.writeHead(500).end(String(error))
      })
    })
    return fixture
  }

  /** A fixture closed when the test ends. */
  static async for(t: ExecutionContext, options: FeedFixtureOptions = {}): Promise<FeedFixture> {
    const fixture = await FeedFixture.start(options)
    t.teardown(() => fixture.close())
    return fixture
  }

  get signer(): SigningKey {
    return this.keys[0]!
  }

  /** How many streams are open now. */
  get openStreams(): number {
    return this.#streams.size
  }

  /** Resolves once no stream is open (the receivers closed theirs). */
  async noOpenStreams(): Promise<void> {
    while (this.#streams.size + this.#silent.size > 0) await once(this.#closings, 'closed')
  }

  /** The newest cursor, or '0'. */
  get latestCursor(): string {
    return this.#entries.at(-1)?.cursor ?? String(this.#floor)
  }

  #now(): Date {
    return this.#options.clock?.now() ?? new Date()
  }

  #seconds(): number {
    return Math.floor(this.#now().getTime() / 1000)
  }

  // --- tokens ---

  /** A new session of a new user (or of `sub`). */
  session(overrides: Partial<Session> = {}): Session {
    return { sub: randomUUID(), sid: randomUUID(), ver: 0, ...overrides }
  }

  /** A Latch-shaped access token for `session`, signed by the current key; anything may be overridden. */
  async accessToken(session: Session, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key: SigningKey = this.signer): Promise<string> {
    const iat = this.#seconds()
    const payload: JWTPayload = {
      iss: this.issuer,
      sub: session.sub,
      aud: this.audience,
      iat,
      exp: iat + (this.#options.accessTokenTtl ?? 300),
      jti: randomUUID(),
      client_id: 'orders-web',
      scope: 'orders',
      sid: session.sid,
      ver: session.ver,
      ...claims,
    }
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name]
    return new SignJWT(payload).setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header } as never).sign(key.privateKey)
  }

  // --- the feed ---

  /** Signs a SET as Latch does; the claims and header may be overridden (to forge bad ones). */
  async signSet(claims: Record<string, unknown>, header: Record<string, unknown> = {}, key: SigningKey = this.signer): Promise<string> {
    return new SignJWT({ iss: this.issuer, iat: this.#seconds(), ...claims } as JWTPayload)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'secevent+jwt', ...header } as never)
      .sign(key.privateKey)
  }

  /** The event of one kind, for `cursor`, as docs/revocation-feed.md lays it out. */
  async entrySet(cursor: string, kind: EntryKind): Promise<string> {
    const expiresAt = kind.expiresAt ?? this.#seconds() + (this.#options.accessTokenTtl ?? 300) + 5
    const user = { format: 'iss_sub', iss: this.issuer, sub: kind.sub }
    const common = { event_timestamp: this.#seconds(), latch_expires_at: expiresAt }
    switch (kind.kind) {
      case 'session':
        return this.signSet({
          jti: cursor,
          sub_id: { format: 'complex', user, session: { format: 'opaque', id: kind.sid } },
          events: { [EVENT.sessionRevoked]: { ...common, reason_admin: { en: 'logout' } } },
        })
      case 'user_version':
        return this.signSet({ jti: cursor, sub_id: user, events: { [EVENT.sessionRevoked]: { ...common, reason_admin: { en: 'logout_all' }, latch_min_ver: kind.minVer } } })
      case 'user_disabled':
        return this.signSet({ jti: cursor, sub_id: user, events: { [EVENT.accountDisabled]: { ...common, reason_admin: { en: 'account_locked' } } } })
      case 'user_enabled':
        return this.signSet({ jti: cursor, sub_id: user, events: { [EVENT.accountEnabled]: common } })
      case 'access_token':
        return this.signSet({ jti: cursor, sub_id: user, events: { [EVENT.accessTokenRevoked]: { ...common, reason_admin: { en: 'token_revoked' }, jti: kind.jti } } })
    }
  }

  /** Appends one revocation of any kind and pushes it (then a heartbeat) to every open stream; returns its cursor. */
  async revoke(kind: EntryKind): Promise<string> {
    const cursor = String(this.#nextCursor)
    return this.append(await this.entrySet(cursor, kind), cursor)
  }

  revokeSession(session: Pick<Session, 'sub' | 'sid'>, expiresAt?: number): Promise<string> {
    return this.revoke({ kind: 'session', sub: session.sub, sid: session.sid, ...(expiresAt === undefined ? {} : { expiresAt }) })
  }

  /** The next cursor `append` will use. */
  nextCursor(): string {
    return String(this.#nextCursor)
  }

  /** Appends any SET (a forged one, say) under the next cursor, or the one given; returns the cursor. */
  append(set: string, cursor = String(this.#nextCursor)): string {
    this.#nextCursor = Math.max(this.#nextCursor, Number(cursor)) + 1
    const entry = { cursor, set }
    this.#entries.push(entry)
    for (const stream of this.#streams) {
      stream.write(setEvent(entry))
      stream.write(this.#heartbeatEvent())
    }
    return cursor
  }

  /** Drops the oldest entries up to and including `cursor` from the log, as Latch's pruning does. */
  pruneThrough(cursor: string): void {
    while (this.#entries.length > 0 && Number(this.#entries[0]!.cursor) <= Number(cursor)) this.#entries.shift()
    this.#floor = Math.max(this.#floor, Number(cursor))
  }

  heartbeat(): void {
    for (const stream of this.#streams) stream.write(this.#heartbeatEvent())
  }

  /** Ends every open stream (EOF for the receivers). */
  dropStreams(): void {
    for (const stream of [...this.#streams, ...this.#silent]) stream.end()
    this.#streams.clear()
    this.#silent.clear()
  }

  /** The `Last-Event-ID` (or null) of every stream request, in order. */
  get streamResumes(): (string | null)[] {
    return this.requests.filter((request) => request.path === '/events/stream').map((request) => (request.headers['last-event-id'] as string | undefined) ?? null)
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat)
    this.dropStreams()
    this.#server.closeAllConnections()
    this.#server.close()
    await once(this.#server, 'close')
  }

  #heartbeatEvent(): string {
    return `event: heartbeat\ndata: ${JSON.stringify({ cursor: this.latestCursor, time: Date.now() })}\n\n`
  }

  // --- HTTP ---

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<unknown> {
    const url = new URL(request.url ?? '/', this.issuer)
    this.requests.push({ method: request.method ?? 'GET', path: url.pathname, headers: request.headers })
    const json = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    const route = `${request.method} ${url.pathname}`
    if (route === 'GET /.well-known/oauth-authorization-server') {
      return json(200, {
        issuer: this.issuer,
        jwks_uri: `${this.issuer}/.well-known/jwks.json`,
        introspection_endpoint: `${this.issuer}/oauth/introspect`,
        ...(this.#options.advertiseFeed === false ? {} : { latch_events_endpoint: `${this.issuer}/events`, latch_events_stream_endpoint: `${this.issuer}/events/stream` }),
      })
    }
    if (route === 'GET /.well-known/jwks.json') {
      this.jwksFetches += 1
      if (this.jwksDown) return json(503, { error: 'temporarily_unavailable' })
      return json(200, { keys: this.keys.map((key) => key.publicJwk) })
    }
    if (!['GET /events/stream', 'GET /events', 'POST /oauth/introspect'].includes(route)) return json(404, { error: 'not_found' })
    if (!this.#authenticated(request.headers.authorization)) {
      response.setHeader('www-authenticate', 'Basic realm="latch"')
      return json(401, { error: 'invalid_client', error_description: 'Client authentication failed.' })
    }
    if (route === 'POST /oauth/introspect') {
      const form = new URLSearchParams(await readBody(request))
      const answer = this.introspect(form.get('token') ?? '')
      if (answer === 'error') return json(500, { error: 'server_error' })
      return json(200, answer ? { active: true } : { active: false })
    }
    const resumeFrom = (route === 'GET /events/stream' ? (request.headers['last-event-id'] as string | undefined) : undefined) ?? url.searchParams.get('after') ?? undefined
    const reset = resumeFrom === undefined || !/^\d+$/.test(resumeFrom) || Number(resumeFrom) < this.#floor
    const after = reset ? -1 : Number(resumeFrom)
    if (route === 'GET /events') {
      const limit = Number(url.searchParams.get('limit') ?? 100)
      const pending = this.#entries.filter((entry) => Number(entry.cursor) > after)
      const page = pending.slice(0, limit)
      return json(200, {
        sets: page,
        next_cursor: page.at(-1)?.cursor ?? (reset ? this.latestCursor : resumeFrom),
        more_available: pending.length > page.length,
        reset,
      })
    }
    if (this.feedStatus !== null) return json(this.feedStatus, { error: 'temporarily_unavailable' })
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    response.flushHeaders()
    if (this.silentStreams) {
      // Deliberately nothing more: a connection that hangs.
      this.#silent.add(response)
      response.on('close', () => {
        this.#silent.delete(response)
        this.#closings.emit('closed')
      })
      return
    }
    response.write(`retry: ${this.#options.retryMs ?? 20}\n\n`)
    if (reset) response.write('event: reset\ndata: {}\n\n')
    for (const entry of this.#entries) if (Number(entry.cursor) > after) response.write(setEvent(entry))
    response.write(this.#heartbeatEvent())
    this.#streams.add(response)
    response.on('close', () => {
      this.#streams.delete(response)
      this.#closings.emit('closed')
    })
  }

  #authenticated(authorization: string | undefined): boolean {
    const match = /^Basic ([A-Za-z0-9+/]+=*)$/.exec(authorization ?? '')
    if (!match) return false
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return false
    const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '))
    return formDecode(decoded.slice(0, colon)) === this.clientId && formDecode(decoded.slice(colon + 1)) === this.clientSecret
  }
}

export type EntryKind =
  | { kind: 'session'; sub: string; sid: string; expiresAt?: number }
  | { kind: 'user_version'; sub: string; minVer: number; expiresAt?: number }
  | { kind: 'user_disabled'; sub: string; expiresAt?: number }
  | { kind: 'user_enabled'; sub: string; expiresAt?: number }
  | { kind: 'access_token'; sub: string; jti: string; expiresAt?: number }

function setEvent(entry: Entry): string {
  return `id: ${entry.cursor}\nevent: set\ndata: ${entry.set}\n\n`
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
