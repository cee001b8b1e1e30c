import { createVerifier, type Verifier } from '../src/verifier/index.js'
import type { Benchmark } from './lib/benchmark.js'
import { Child, childScript, freePort } from './lib/child.js'
import { freshDatabase, type Provider } from './lib/databases.js'
import { AUDIENCE, ISSUER, LatchServer } from './lib/latch-server.js'
import { quantileOfSorted } from './lib/stats.js'
import { row, under, type Row } from './lib/report.js'

/**
 * Revocation propagation: from the start of the revoking request (POST /logout-all) until each
 * connected edge verifier (latch/verifier, following /events/stream) refuses the token as
 * revoked. The floor is the same shape with nothing in it: a POST to a bare node:http server that
 * writes one Server-Sent Event to as many bare streams, timed until each stream has it.
 */

const VERIFIERS = [1, 20]
/** Revocations per round: each one a fresh user's logout-all. */
const TRIALS = { full: 40, smoke: 3 }

interface Trial {
  /** Milliseconds per verifier from the start of the request to the refusal. */
  latencies: number[]
}

export const propagation: Benchmark = {
  name: 'propagation',
  description: `revocation propagation (logout-all → refusal at the edge) to ${VERIFIERS.join(' and ')} verifiers vs a bare loopback SSE push`,
  async run(context) {
    const sections = []
    for (const provider of context.providers) sections.push(await measure(context, provider))
    return sections
  },
}

async function measure(context: Parameters<Benchmark['run']>[0], provider: Provider) {
  const database = await freshDatabase(provider)
  let latch: LatchServer | undefined
  let floor: Child | undefined
  const verifiers: Verifier[] = []
  try {
    latch = await LatchServer.start({ name: `latch-propagation-${provider}`, databaseUrl: database.url, keys: context.keys })
    const server = latch
    const edge = await server.createEdge('propagation bench')
    const port = await freePort()
    floor = Child.start({ name: 'sse-push', script: childScript('sse-push.ts'), env: { NODE_ENV: 'production', PORT: String(port) } })
    const floorUrl = `http://127.0.0.1:${port}`
    await floor.waitForHttp(`${floorUrl}/healthz`)
    const trials = context.profile.name === 'smoke' ? TRIALS.smoke : TRIALS.full
    const emails = await server.registerUsers(trials * context.profile.rounds * VERIFIERS.length + VERIFIERS.length, `propagation-${provider}`)

    const rows: Row[] = []
    for (const count of VERIFIERS) {
      context.log(`propagation · ${provider} · ${count} verifier${count === 1 ? '' : 's'}`)
      while (verifiers.length < count) verifiers.push(await startVerifier(server, edge))
      const floorStreams = await Promise.all(Array.from({ length: count }, () => BareStream.open(`${floorUrl}/stream`)))
      try {
        const latchRounds: number[][] = []
        const floorRounds: number[][] = []
        for (let round = 0; round < context.profile.rounds; round++) {
          const latchLatencies: number[] = []
          const floorLatencies: number[] = []
          for (let trial = 0; trial < trials; trial++) {
            latchLatencies.push(...(await revokeAndWait(server, emails.pop()!, verifiers.slice(0, count))).latencies)
            floorLatencies.push(...(await pushAndWait(floorUrl, floorStreams, `${round}-${trial}`)).latencies)
          }
          latchRounds.push(latchLatencies.sort((a, b) => a - b))
          floorRounds.push(floorLatencies.sort((a, b) => a - b))
        }
        server.assertHealthy()
        floor.assertRunning()
        const at = `${count} verifier${count === 1 ? '' : 's'}`
        const quantile = (rounds: number[][], q: number) => rounds.map((sorted) => quantileOfSorted(sorted, q))
        rows.push(row(`propagation p50, ${at}`, 'ms', quantile(latchRounds, 0.5), quantile(floorRounds, 0.5)))
        rows.push(row(`propagation p99, ${at}`, 'ms', quantile(latchRounds, 0.99), quantile(floorRounds, 0.99), count === 20 ? under(250) : undefined))
      } finally {
        for (const stream of floorStreams) stream.close()
      }
    }
    const ignored = verifiers.reduce((sum, verifier) => sum + Object.values(verifier.stats().ignoredSets).reduce((a, b) => a + b, 0), 0)
    if (ignored > 0) throw new Error(`the verifiers ignored ${ignored} SETs from Latch`)
    return {
      benchmark: 'propagation',
      title: `propagation · ${provider === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
      floor:
        'a POST to a bare node:http server (child process) that writes one Server-Sent Event to as many bare streams as there are verifiers, timed from the start of the POST until each stream has the event: loopback HTTP and SSE with nothing else.',
      rows,
      notes: [
        `Latch: POST /logout-all of a fresh user whose token every verifier has just accepted, timed until each verifier refuses that token (its 'revocation' event, then verify() rejecting); ${trials} revocations per round. ` +
          'The verifiers run in the runner process, each with its own /events/stream connection; the commit, the wake-up, the read of the outbox, the SET signature and its verification at every edge are all in the figure.',
      ],
    }
  } finally {
    await Promise.all(verifiers.map((verifier) => verifier.close()))
    await floor?.stop()
    await latch?.stop()
    await database.drop()
  }
}

/** An edge verifier of the benchmark's issuer; the issuer's name is rewritten to the server's address. */
async function startVerifier(server: LatchServer, edge: { clientId: string; secret: string }): Promise<Verifier> {
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    clientId: edge.clientId,
    clientSecret: edge.secret,
    fetch: (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      return fetch(url.startsWith(ISSUER) ? server.url + url.slice(ISSUER.length) : url, init)
    },
  })
  await verifier.ready()
  return verifier
}

async function revokeAndWait(server: LatchServer, email: string, verifiers: Verifier[]): Promise<Trial> {
  const { access_token: token } = await server.login(email)
  for (const verifier of verifiers) await verifier.verify(token)
  const refused = verifiers.map((verifier) => refusalOf(verifier, token))
  const started = performance.now()
  const response = await fetch(`${server.url}/logout-all`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
  if (response.status !== 204) throw new Error(`logout-all: ${response.status} ${await response.text()}`)
  const at = await Promise.all(refused)
  return { latencies: at.map((instant) => instant - started) }
}

/** Resolves with the instant `verifier` refuses `token` as revoked, checked at each revocation it applies. */
function refusalOf(verifier: Verifier, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => done(new Error('no revocation reached the verifier within 10 s')), 10_000)
    const check = () => {
      verifier.verify(token).then(
        () => {},
        (error: { code?: string }) => (error.code === 'revoked' ? done(null, performance.now()) : done(error as Error)),
      )
    }
    const done = (error: Error | null, at?: number) => {
      clearTimeout(timeout)
      verifier.off('revocation', check)
      if (error) reject(error)
      else resolve(at!)
    }
    verifier.on('revocation', check)
  })
}

async function pushAndWait(url: string, streams: BareStream[], marker: string): Promise<Trial> {
  const arrivals = streams.map((stream) => stream.next(marker))
  const started = performance.now()
  const response = await fetch(`${url}/push`, { method: 'POST', body: marker })
  if (response.status !== 204) throw new Error(`push: ${response.status}`)
  return { latencies: (await Promise.all(arrivals)).map((instant) => instant - started) }
}

/** A bare SSE reader: resolves `next(marker)` when an event carrying it arrives. */
class BareStream {
  #waiting = new Map<string, (at: number) => void>()
  private constructor(private readonly abort: AbortController) {}

  static async open(url: string): Promise<BareStream> {
    const abort = new AbortController()
    const stream = new BareStream(abort)
    const response = await fetch(url, { signal: abort.signal })
    void stream.#read(response.body!)
    return stream
  }

  next(marker: string): Promise<number> {
    return new Promise((resolve) => this.#waiting.set(marker, resolve))
  }

  close(): void {
    this.abort.abort()
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        buffer += decoder.decode(value, { stream: true })
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1]
          buffer = buffer.slice(end + 2)
          const resolve = data === undefined ? undefined : this.#waiting.get(data)
          if (resolve) {
            this.#waiting.delete(data!)
            resolve(performance.now())
          }
        }
      }
    } catch {
      // aborted
    }
  }
}
