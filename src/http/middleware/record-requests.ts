import type { Middleware } from 'koa'

/** Where each answered request is counted (src/metrics implements it with prom-client). */
export interface HttpMetrics {
  /**
   * `route` is the pattern of the route that answered (`/admin/users/:id`), never the raw path,
   * or `unmatched` when none did (404, 405); `method` is one of a closed set or `other`.
   */
  request(method: string, route: string, status: number, seconds: number): void
}

export const UNMATCHED_ROUTE = 'unmatched'

/**
 * Outermost, so that it sees the status handleErrors settled on. A stream (/events/stream) is
 * counted when its headers are decided, and its duration is the time to open it. Installed only
 * when metrics are on: with them off, requests do not pass here at all.
 */
export function recordRequests(metrics: HttpMetrics): Middleware {
  return async (ctx, next) => {
    const started = performance.now()
    try {
      await next()
    } finally {
      metrics.request(ctx.method, routeOf(ctx), ctx.status, (performance.now() - started) / 1000)
    }
  }
}

type RouterLayer = { path: string | RegExp; methods: string[] }

/**
 * The pattern of the route for this path and method, from the layers @koa/router matched on the
 * path (prefix included). Not its `_matchedRoute`: every layer that runs overwrites that, so a
 * request the admin guard refused would be labelled with the guard's own pattern.
 */
function routeOf(ctx: { method: string }): string {
  const layers = (ctx as { matched?: RouterLayer[] }).matched ?? []
  for (let index = layers.length - 1; index >= 0; index--) {
    if (layers[index]!.methods.includes(ctx.method)) return String(layers[index]!.path)
  }
  return UNMATCHED_ROUTE
}
