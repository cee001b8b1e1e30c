import type { KeySettings } from '../config.js'
import type { Clock } from '../domain/clock.js'
import type { RequestContext, SigningKeyStore } from '../domain/ports.js'
import { ensureSigningKey } from '../domain/tokens/ensure-signing-key.js'
import { KeyEncryption } from '../domain/tokens/key-encryption.js'
import { StaticKeyRingSource, type KeyRingSource } from '../domain/tokens/key-ring-source.js'
import type { SigningKeyManagement } from '../domain/tokens/signing-key-management.js'
import type { Logger } from '../logger.js'
import { DatabaseKeyRing } from './database-key-ring.js'
import { loadKeys } from './load-keys.js'

export interface SigningKeys {
  /** The ring in force, for signing, verifying and the JWKS. */
  keyRing: KeyRingSource
  management: SigningKeyManagement
  /** HMAC key that derives a refresh token's successor from its secret. */
  refreshTokenKey: Buffer
  /** Stops the reload timer. */
  close(): void
}

/** Nobody asked: the server itself stores the first key on an empty database. */
const FIRST_START: RequestContext = Object.freeze({ actorId: null, ip: null, userAgent: null })

/**
 * Loads the secrets and, unless configuration fixes the signing keys, makes sure the database
 * holds one (the first start generates it) and opens this replica's refreshing view of them.
 */
export async function openSigningKeys(settings: KeySettings, deps: { store: SigningKeyStore; clock: Clock; logger: Logger }): Promise<SigningKeys> {
  const material = await loadKeys(settings.source)
  if (material.mode === 'static') {
    return { keyRing: new StaticKeyRingSource(material.keyRing), management: { mode: 'configuration' }, refreshTokenKey: material.refreshTokenKey, close() {} }
  }
  const encryption = new KeyEncryption(material.keyEncryptionKey)
  const { store, clock, logger } = deps
  if (await ensureSigningKey({ store, encryption, clock, algorithm: settings.algorithm }, FIRST_START)) {
    logger.info({ alg: settings.algorithm }, 'generated the first signing key')
  }
  const keyRing = await DatabaseKeyRing.open({ store, encryption, clock, logger, refreshIntervalSeconds: settings.refreshInterval })
  return {
    keyRing,
    management: {
      mode: 'database',
      store,
      encryption,
      keyRing,
      policy: { defaultAlgorithm: settings.algorithm, publicationDelaySeconds: settings.publicationDelay, refreshIntervalSeconds: settings.refreshInterval },
    },
    refreshTokenKey: material.refreshTokenKey,
    close: () => keyRing.close(),
  }
}
