import { addSeconds, CLOCK_SKEW_SECONDS } from '../clock.js'
import { KeyRotationUnavailableError } from '../errors.js'
import type { SigningKeyStore, StoredSigningKey } from '../ports.js'
import type { KeyEncryption } from './key-encryption.js'
import { importSigningKey, KeyRing, publicHalf, type SigningAlgorithm } from './key-ring.js'
import type { KeyRingSource } from './key-ring-source.js'
import type { KeyState, KeyTimes, ScheduledKey } from './key-schedule.js'

/**
 * Margin added to a retiring key's last possible token lifetime before it leaves the JWKS: covers
 * clock skew between the replicas that sign and the edges that verify.
 */
export const RETIREMENT_LEEWAY_SECONDS = CLOCK_SKEW_SECONDS

export interface RotationPolicy {
  /** The algorithm of keys generated without an explicit choice. */
  defaultAlgorithm: SigningAlgorithm
  /** How long edges may cache the JWKS: its Cache-Control max-age. */
  publicationDelaySeconds: number
  /** How long a replica may take to see a key another replica added. */
  refreshIntervalSeconds: number
}

/**
 * How this server's signing keys are managed: fixed by configuration (nothing to rotate), or
 * stored in the database, shared by every replica and rotated on a schedule.
 */
export type SigningKeyManagement =
  | { mode: 'configuration' }
  | { mode: 'database'; store: SigningKeyStore; encryption: KeyEncryption; keyRing: KeyRingSource; policy: RotationPolicy }

export type DatabaseKeyManagement = Extract<SigningKeyManagement, { mode: 'database' }>

/** A key as operators see it: never any private material. */
export interface SigningKeyView extends KeyTimes {
  kid: string
  alg: string
  state: KeyState
}

export function requireDatabaseKeys(management: SigningKeyManagement): DatabaseKeyManagement {
  if (management.mode !== 'database') throw new KeyRotationUnavailableError('signing keys come from static configuration')
  return management
}

/**
 * The schedule of a rotation decided at `now`. The new key is published at once and signs only
 * once every replica has loaded it (one refresh interval) and every cached JWKS fetched before
 * that has expired (one max-age), so no edge meets a kid it cannot resolve. The keys it replaces
 * leave the JWKS once the last token they can sign has expired.
 */
export function rotationTimes(now: Date, policy: RotationPolicy, tokenLifetimeSeconds: number): { activatesAt: Date; retirePreviousAt: Date } {
  const activatesAt = addSeconds(now, policy.publicationDelaySeconds + policy.refreshIntervalSeconds)
  return { activatesAt, retirePreviousAt: addSeconds(activatesAt, tokenLifetimeSeconds + RETIREMENT_LEEWAY_SECONDS) }
}

/** Generates a key pair and seals its private half for storage. */
export async function generateStoredKey(encryption: KeyEncryption, alg: SigningAlgorithm, times: KeyTimes): Promise<StoredSigningKey> {
  const privateJwk = await KeyRing.generatePrivateJwk(alg)
  const kid = privateJwk.kid!
  return { kid, alg, publicJwk: { ...publicHalf(privateJwk) }, sealedPrivateJwk: encryption.seal(kid, privateJwk), ...times }
}

/** Opens and imports a stored key. @throws KeyDecryptionError with the wrong key-encryption key or an altered row. */
export async function openStoredKey(encryption: KeyEncryption, stored: StoredSigningKey): Promise<ScheduledKey> {
  const privateJwk = encryption.open(stored.kid, stored.sealedPrivateJwk)
  const key = await importSigningKey({ ...privateJwk, kid: stored.kid })
  if (key.alg !== stored.alg) throw new RangeError(`signing key ${stored.kid}: stored alg ${stored.alg} does not match its JWK`)
  return { ...key, createdAt: stored.createdAt, activatesAt: stored.activatesAt, retiresAt: stored.retiresAt }
}

export function keyView(key: StoredSigningKey, state: KeyState): SigningKeyView {
  return { kid: key.kid, alg: key.alg, state, createdAt: key.createdAt, activatesAt: key.activatesAt, retiresAt: key.retiresAt }
}
