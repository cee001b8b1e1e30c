import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { LOGIN_OUTCOMES, REFRESH_OUTCOMES, type LoginOutcome, type OutcomeMetrics, type RefreshOutcome, type RevocationKind, type RevocationRecord } from '../domain/ports.js'
import type { FeedMetrics } from '../feed/revocation-feed.js'
import type { WebhookDeliveryResult, WebhookMetrics } from '../feed/webhook-delivery.js'
import type { HttpMetrics } from '../http/middleware/record-requests.js'

/** The methods a route can answer; any other (PROPFIND, TRACE, …) is counted as `other`. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
const REVOCATION_KINDS: readonly RevocationKind[] = ['session', 'user_version', 'user_disabled', 'user_enabled', 'access_token']
/** Seconds. Most answers take a millisecond or a few (refresh, /me); login waits for argon2 (tens of ms). */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

type CounterChild = Counter.Internal
type HistogramChild = Histogram.Internal<string>

/** One (route, method): its duration histogram and its counters by status, created on first use. */
interface RouteCells {
  duration: HistogramChild
  byStatus: Map<number, CounterChild>
}

/**
 * Every metric Latch exposes, on a registry of its own (never prom-client's global one, so that
 * several servers in one process do not collide). Labels are closed sets or route patterns, never
 * anything a caller chooses: no ids, emails, tokens, addresses or raw paths.
 *
 * Recording costs a few map lookups and prom-client's own increment: label children are made once
 * per label combination and kept.
 */
export class PrometheusMetrics implements OutcomeMetrics, FeedMetrics, WebhookMetrics, HttpMetrics {
  readonly registry = new Registry()
  readonly #requests: Counter<'method' | 'route' | 'status'>
  readonly #duration: Histogram<'method' | 'route'>
  readonly #routes = new Map<string, Map<string, RouteCells>>()
  readonly #logins: Record<LoginOutcome, CounterChild>
  readonly #refreshes: Record<RefreshOutcome, CounterChild>
  readonly #revocations: Counter<'kind'>
  readonly #revocationKinds = new Map<string, CounterChild>()
  readonly #webhooks: Record<WebhookDeliveryResult, CounterChild>
  #streams: () => number = () => 0

  constructor() {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    this.#requests = new Counter({ name: 'latch_http_requests_total', help: 'HTTP requests answered on the API port, by method, route pattern (or unmatched) and status.', labelNames: ['method', 'route', 'status'], registers })
    this.#duration = new Histogram({ name: 'latch_http_request_duration_seconds', help: 'Time to answer an HTTP request on the API port (for /events/stream: to open the stream), by method and route pattern.', labelNames: ['method', 'route'], buckets: DURATION_BUCKETS, registers })
    const logins = new Counter({ name: 'latch_logins_total', help: 'Password logins by outcome: succeeded, failed (unknown email or wrong password), locked (right password, locked account), throttled (refused by the login throttle before any password check).', labelNames: ['outcome'], registers })
    this.#logins = children(logins, LOGIN_OUTCOMES)
    const refreshes = new Counter({ name: 'latch_refreshes_total', help: 'Refresh-token exchanges by outcome: rotated, grace_replay (a repeat within the reuse grace), reuse_detected (the session was revoked), refused.', labelNames: ['outcome'], registers })
    this.#refreshes = children(refreshes, REFRESH_OUTCOMES)
    this.#revocations = new Counter({ name: 'latch_feed_revocations_total', help: 'Revocations this replica read from the revocation log and published to its feed, by kind (every replica publishes every revocation).', labelNames: ['kind'], registers })
    for (const kind of REVOCATION_KINDS) this.#revocationKinds.set(kind, this.#revocations.labels(kind))
    const webhooks = new Counter({ name: 'latch_feed_webhook_deliveries_total', help: 'POSTs of one Security Event Token to a feed webhook, by result: delivered (2xx) or failed.', labelNames: ['result'], registers })
    this.#webhooks = children(webhooks, ['delivered', 'failed'] as const)
    const streams = () => this.#streams()
    new Gauge({
      name: 'latch_feed_streams',
      help: 'Revocation-feed streams (GET /events/stream) this replica holds open.',
      registers,
      collect() {
        this.set(streams())
      },
    })
  }

  /** Where the open-streams gauge reads its value at each scrape. */
  countStreams(count: () => number): void {
    this.#streams = count
  }

  request(method: string, route: string, status: number, seconds: number): void {
    const name = METHODS.has(method) ? method : 'other'
    let byMethod = this.#routes.get(route)
    if (!byMethod) this.#routes.set(route, (byMethod = new Map()))
    let cells = byMethod.get(name)
    if (!cells) byMethod.set(name, (cells = { duration: this.#duration.labels(name, route), byStatus: new Map() }))
    let counter = cells.byStatus.get(status)
    if (!counter) cells.byStatus.set(status, (counter = this.#requests.labels(name, route, String(status))))
    counter.inc()
    cells.duration.observe(seconds)
  }

  login(outcome: LoginOutcome): void {
    this.#logins[outcome].inc()
  }

  refresh(outcome: RefreshOutcome): void {
    this.#refreshes[outcome].inc()
  }

  revocationsPublished(records: readonly RevocationRecord[]): void {
    for (const record of records) {
      let counter = this.#revocationKinds.get(record.kind)
      // A kind this version does not know (a newer replica wrote it): one bounded bucket.
      if (!counter) this.#revocationKinds.set(record.kind, (counter = this.#revocationKinds.get('other') ?? this.#revocations.labels('other')))
      counter.inc()
    }
  }

  webhookDelivery(result: WebhookDeliveryResult): void {
    this.#webhooks[result].inc()
  }

  /** The metrics listener: GET (or HEAD) /metrics in the Prometheus text format, 404 for anything else. */
  get handler(): RequestListener {
    return (request: IncomingMessage, response: ServerResponse) => {
      const path = request.url?.split('?', 1)[0]
      if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found\n')
        return
      }
      this.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': this.registry.contentType, 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : text),
        () => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal Server Error\n'),
      )
    }
  }
}

/** One child per value, made now: every series exists, at 0, from the first scrape. */
function children<Value extends string>(counter: Counter<string>, values: readonly Value[]): Record<Value, CounterChild> {
  return Object.fromEntries(values.map((value) => [value, counter.labels(value)])) as Record<Value, CounterChild>
}
