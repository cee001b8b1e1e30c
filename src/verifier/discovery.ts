/** The endpoints a verifier needs, from the issuer's RFC 8414 metadata. */
export interface IssuerEndpoints {
  jwksUri: string
  /** Absent when the issuer advertises none (then the `introspect` policy cannot work). */
  introspectionEndpoint: string | null
  /** `GET /events` (polling). */
  eventsEndpoint: string
  /** `GET /events/stream` (Server-Sent Events). */
  eventsStreamEndpoint: string
}

export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError'
}

/** `${issuer}/.well-known/oauth-authorization-server`, as Latch serves it. */
export function metadataUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/oauth-authorization-server`
}

/**
 * Fetches and checks the issuer's metadata: `issuer` must be exactly the configured issuer (RFC
 * 8414 section 3.3, so that a misdirected request cannot substitute another issuer's keys), and
 * `jwks_uri` must be an http(s) URL. The feed endpoints are `latch_events_endpoint` and
 * `latch_events_stream_endpoint`, or `${issuer}/events` and `${issuer}/events/stream` when the
 * metadata does not name them.
 */
export async function discover(issuer: string, fetch: typeof globalThis.fetch, timeout: number): Promise<IssuerEndpoints> {
  const url = metadataUrl(issuer)
  const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeout) })
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {})
    throw new DiscoveryError(`${url} answered HTTP ${response.status}`)
  }
  let metadata: Record<string, unknown>
  try {
    metadata = (await response.json()) as Record<string, unknown>
  } catch {
    throw new DiscoveryError(`${url} did not answer JSON`)
  }
  if (typeof metadata !== 'object' || metadata === null) throw new DiscoveryError(`${url} did not answer a JSON object`)
  if (metadata.issuer !== issuer) throw new DiscoveryError(`${url} names issuer ${JSON.stringify(metadata.issuer)}, not ${JSON.stringify(issuer)}`)
  const base = issuer.replace(/\/+$/, '')
  const endpoint = (name: string, fallback: string | null): string | null => {
    const value = metadata[name]
    if (value === undefined || value === null) return fallback
    if (typeof value !== 'string' || !isHttpUrl(value)) throw new DiscoveryError(`${url}: ${name} is not an http(s) URL`)
    return value
  }
  const jwksUri = endpoint('jwks_uri', null)
  if (jwksUri === null) throw new DiscoveryError(`${url} names no jwks_uri`)
  return {
    jwksUri,
    introspectionEndpoint: endpoint('introspection_endpoint', null),
    eventsEndpoint: endpoint('latch_events_endpoint', `${base}/events`)!,
    eventsStreamEndpoint: endpoint('latch_events_stream_endpoint', `${base}/events/stream`)!,
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value)
    return protocol === 'https:' || protocol === 'http:'
  } catch {
    return false
  }
}
