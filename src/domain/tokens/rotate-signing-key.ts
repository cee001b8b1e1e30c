import type { CoreDependencies } from '../dependencies.js'
import type { RequestContext } from '../ports.js'
import type { SigningAlgorithm } from './key-ring.js'
import { generateStoredKey, keyView, requireDatabaseKeys, rotationTimes, type SigningKeyView } from './signing-key-management.js'

export interface RotatedSigningKey {
  key: SigningKeyView
  /** The keys this rotation scheduled for retirement, and when they leave the JWKS. */
  retiring: Array<{ kid: string; retiresAt: Date }>
}

/**
 * Adds a signing key that is published now and signs from `activatesAt`, and schedules the keys it
 * replaces to leave the JWKS once their last tokens have expired (see rotationTimes). Activation
 * is by time, so no replica needs to be told: each sees the new key at its next refresh, before
 * it activates. The audit record is written in the insert's transaction.
 *
 * @throws KeyRotationUnavailableError when keys are fixed by configuration.
 */
export async function rotateSigningKey(deps: CoreDependencies, input: { alg?: SigningAlgorithm }, context: RequestContext): Promise<RotatedSigningKey> {
  const keys = requireDatabaseKeys(deps.signingKeys)
  const now = deps.clock.now()
  const alg = input.alg ?? keys.policy.defaultAlgorithm
  const { activatesAt, retirePreviousAt } = rotationTimes(now, keys.policy, deps.accessTokens.lifetimeSeconds)
  const key = await generateStoredKey(keys.encryption, alg, { createdAt: now, activatesAt, retiresAt: null })
  const retiringKids = await keys.store.add({
    key,
    retirePreviousAt,
    audit: {
      type: 'signing_key_added',
      context,
      userId: null,
      detail: { kid: key.kid, alg, activatesAt: activatesAt.toISOString(), previousRetireAt: retirePreviousAt.toISOString() },
    },
  })
  // This replica publishes the key at once; the others pick it up at their next refresh.
  await keys.keyRing.refresh()
  return {
    key: keyView(key, activatesAt > now ? 'pending' : 'active'),
    retiring: retiringKids.map((kid) => ({ kid, retiresAt: retirePreviousAt })),
  }
}
