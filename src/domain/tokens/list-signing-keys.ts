import type { CoreDependencies } from '../dependencies.js'
import { signerAt, stateAt } from './key-schedule.js'
import { keyView, requireDatabaseKeys, type SigningKeyView } from './signing-key-management.js'

/**
 * Every stored signing key, oldest first, with its state now: pending, active, retiring or
 * retired. Public facts only.
 *
 * @throws KeyRotationUnavailableError when keys are fixed by configuration.
 */
export async function listSigningKeys(deps: Pick<CoreDependencies, 'signingKeys' | 'clock'>): Promise<SigningKeyView[]> {
  const keys = requireDatabaseKeys(deps.signingKeys)
  const now = deps.clock.now()
  const stored = await keys.store.listAll()
  const signer = signerAt(stored, now)
  return stored.map((key) => keyView(key, stateAt(key, signer?.kid, now)))
}
