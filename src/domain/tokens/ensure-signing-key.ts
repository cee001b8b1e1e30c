import type { Clock } from '../clock.js'
import type { RequestContext, SigningKeyStore } from '../ports.js'
import type { KeyEncryption } from './key-encryption.js'
import type { SigningAlgorithm } from './key-ring.js'
import { generateStoredKey } from './signing-key-management.js'

export interface EnsureSigningKeyDependencies {
  store: SigningKeyStore
  encryption: KeyEncryption
  clock: Clock
  algorithm: SigningAlgorithm
}

/**
 * First start on an empty database: stores one key that signs at once (nothing can have cached a
 * JWKS without it yet). The store inserts only while no key is live, so of replicas starting
 * together exactly one inserts; the others find its key. Returns true when this call added it.
 */
export async function ensureSigningKey(deps: EnsureSigningKeyDependencies, context: RequestContext): Promise<boolean> {
  const now = deps.clock.now()
  if ((await deps.store.listLive(now)).length > 0) return false
  const key = await generateStoredKey(deps.encryption, deps.algorithm, { createdAt: now, activatesAt: now, retiresAt: null })
  return deps.store.insertFirst({
    key,
    audit: { type: 'signing_key_added', context, userId: null, detail: { kid: key.kid, alg: key.alg, activatesAt: now.toISOString(), firstKey: true } },
  })
}
