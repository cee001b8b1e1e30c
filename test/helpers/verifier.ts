import { once } from 'node:events'
import type { ExecutionContext } from 'ava'
import { createVerifier, type Verifier, type VerifierEvents, type VerifierOptions } from '../../src/verifier/index.js'
import { VerifierError } from '../../src/verifier/errors.js'

/** Whatever issues tokens and feeds revocations: the feed fixture now, a real Latch in the end-to-end tests. */
export interface Issuer {
  issuer: string
  audience: string
  clientId: string
  clientSecret: string
}

/** A verifier of `issuer`'s tokens with test-sized reconnect delays, closed when the test ends. */
export function verifierFor(t: ExecutionContext, issuer: Issuer, options: Partial<VerifierOptions> = {}): Verifier {
  const verifier = createVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    clientId: issuer.clientId,
    clientSecret: issuer.clientSecret,
    reconnect: { initialDelay: 10, maxDelay: 100 },
    ...options,
  })
  t.teardown(() => verifier.close())
  return verifier
}

/** Resolves with the arguments of the next `name` event that satisfies `predicate`. */
export async function nextEvent<K extends keyof VerifierEvents>(verifier: Verifier, name: K, predicate: (...args: VerifierEvents[K]) => boolean = () => true): Promise<VerifierEvents[K]> {
  const emitter = verifier as unknown as import('node:events').EventEmitter
  for (;;) {
    const args = (await once(emitter, name as string)) as VerifierEvents[K]
    if (predicate(...args)) return args
  }
}

/** `code/reason` of the refusal, or `accepted`. */
export async function outcome(verifier: Verifier, token: string): Promise<string> {
  try {
    await verifier.verify(token)
    return 'accepted'
  } catch (error) {
    if (error instanceof VerifierError) return `${error.code}/${error.reason}`
    throw error
  }
}
