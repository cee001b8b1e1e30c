import autocannon from 'autocannon'
import { Latencies } from './stats.js'

/**
 * HTTP load from the runner process (never from a server's process), with autocannon: a closed
 * loop of `connections` clients, each sending its next request when the previous answer arrived.
 */

export interface LoadSpec {
  /** Origin of the server under test, e.g. http://127.0.0.1:41234 (loopback only). */
  url: string
  connections: number
  seconds: number
  /** The requests of client `index`; a client that chains tokens keeps its own state in them. */
  client: (index: number) => autocannon.Request[]
}

export interface LoadResult {
  /** 2xx responses per second. */
  rps: number
  /** Latency of 2xx responses, milliseconds (measured by autocannon per response, sub-ms precision). */
  p50: number
  p99: number
  responses: number
}

export class LoadError extends Error {
  override name = 'LoadError'
}

/** Runs the load; any non-2xx answer, connection error or timeout fails it (a server under test erred). */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(spec.url)) {
    throw new LoadError(`refusing to send load to ${spec.url}: loopback only`)
  }
  const latencies = new Latencies()
  let firstFailure: string | null = null
  let nextClient = 0
  const withFailureCapture = (request: autocannon.Request): autocannon.Request => ({
    ...request,
    onResponse: (status, body, context, headers) => {
      if ((status < 200 || status > 299) && firstFailure === null) firstFailure = `${status} ${body.slice(0, 300)}`
      if (typeof request.onResponse === 'function') request.onResponse(status, body, context, headers)
    },
  })

  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.seconds,
        pipelining: 1,
        timeout: 10,
        setupClient: (client) => client.setRequests(spec.client(nextClient++).map(withFailureCapture)),
      },
      (error, result) => {
        if (error) return reject(error)
        const failed = result.non2xx + result.errors + result.timeouts
        if (failed > 0) {
          const codes = JSON.stringify(result.statusCodeStats ?? {})
          return reject(
            new LoadError(
              `${failed} failed request(s) against ${spec.url}: non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}; status codes ${codes}` +
                (firstFailure ? `; first failure: ${firstFailure}` : ''),
            ),
          )
        }
        if (latencies.count === 0) return reject(new LoadError(`no successful response from ${spec.url} in ${spec.seconds} s`))
        const { p50, p99 } = latencies.percentiles()
        resolve({ rps: latencies.count / result.duration, p50, p99, responses: latencies.count })
      },
    )
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode <= 299) latencies.record(responseTime)
    })
  })
}

/** One fixed request, the same for every client. */
export function sameRequest(request: autocannon.Request): (index: number) => autocannon.Request[] {
  return () => [request]
}

/**
 * A client that rotates its own refresh-token chain: each request presents the refresh_token of
 * the previous response (both Latch and OAuth token endpoints answer with `refresh_token`).
 */
export function refreshChain(
  firstToken: string,
  request: { path: string; contentType: string; body: (refreshToken: string) => string },
): autocannon.Request[] {
  let token = firstToken
  return [
    {
      method: 'POST',
      path: request.path,
      headers: { 'content-type': request.contentType },
      setupRequest: (built) => ({ ...built, body: request.body(token) }),
      onResponse: (status, body) => {
        if (status === 200) token = (JSON.parse(body) as { refresh_token: string }).refresh_token
      },
    },
  ]
}
