import { ExpiringCache } from './token-cache.js'

export interface IntrospectorOptions {
  endpoint: string
  /** `Authorization: Basic` of the edge's credentials (client_secret_basic). */
  authorization: string
  fetch: typeof globalThis.fetch
  /** How long an answer is reused for the same token, milliseconds. */
  ttl: number
  capacity: number
  /** A request taking longer fails, milliseconds. */
  timeout: number
  now: () => number
}

export class IntrospectionError extends Error {
  override readonly name = 'IntrospectionError'
}

/**
 * Asks `POST introspection_endpoint` (RFC 7662) whether a token is active, while the feed is
 * stale. Answers are kept `ttl` milliseconds per token, and concurrent questions about one token
 * share one request. A failure is never cached.
 */
export class Introspector {
  readonly #options: IntrospectorOptions
  readonly #answers: ExpiringCache<{ answer: Promise<boolean>; expiresAt: number }>
  requests = 0
  cacheHits = 0
  failures = 0

  constructor(options: IntrospectorOptions) {
    this.#options = options
    this.#answers = new ExpiringCache(options.capacity, (entry) => entry.expiresAt)
  }

  /** Resolves with `active`; rejects with an IntrospectionError (which never names the token). */
  active(token: string): Promise<boolean> {
    const now = this.#options.now()
    const cached = this.#answers.get(token, now)
    if (cached) {
      this.cacheHits += 1
      return cached.answer
    }
    const answer = this.#ask(token)
    this.#answers.set(token, { answer, expiresAt: now + this.#options.ttl })
    answer.catch(() => this.#answers.delete(token))
    return answer
  }

  async #ask(token: string): Promise<boolean> {
    const { endpoint, authorization, fetch, timeout } = this.#options
    this.requests += 1
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(timeout),
      })
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {})
        throw new IntrospectionError(`introspection answered HTTP ${response.status}`)
      }
      const body = (await response.json().catch(() => null)) as { active?: unknown } | null
      if (typeof body?.active !== 'boolean') throw new IntrospectionError('introspection answered no boolean "active"')
      return body.active
    } catch (error) {
      this.failures += 1
      if (error instanceof IntrospectionError) throw error
      throw new IntrospectionError(`introspection failed: ${error instanceof Error ? error.name : 'error'}`)
    }
  }
}
