import type {
  AccessTokenRevocationStore,
  AuditStore,
  ClientStore,
  FeedWebhookStore,
  RevocationFeedStore,
  RevocationSignal,
  SessionStore,
  SigningKeyStore,
  StorageHealth,
  UserStore,
} from '../domain/ports.js'
import { createAccessTokenRevocationStore } from './access-token-revocations.js'
import { createAuditStore } from './audit-log.js'
import { createClientStore } from './client-store.js'
import type { Database } from './connect.js'
import { createFeedWebhookStore } from './feed-webhook-store.js'
import { translateUnavailable } from './prisma-errors.js'
import { createRevocationFeedStore } from './revocation-feed-store.js'
import { revocationChannel, RevocationOutbox } from './revocation-log.js'
import { listenForRevocations, LocalRevocationSignal } from './revocation-signal.js'
import { createSessionStore } from './session-store.js'
import { createSigningKeyStore } from './signing-key-store.js'
import { createUserStore } from './user-store.js'

export interface Stores {
  users: UserStore
  sessions: SessionStore
  audit: AuditStore
  clients: ClientStore
  accessTokenRevocations: AccessTokenRevocationStore
  signingKeys: SigningKeyStore
  revocationFeed: RevocationFeedStore
  feedWebhooks: FeedWebhookStore
  /** Fires after every revocation this process commits; see listenToOtherReplicas for the others. */
  revocationSignal: RevocationSignal
  /**
   * PostgreSQL: makes revocations committed by other replicas fire revocationSignal too (LISTEN on
   * a connection of its own). A serving replica calls it; one-shot CLI commands need not. On
   * SQLite, one process owns the database and there is nothing to listen to.
   */
  listenToOtherReplicas(onError: (error: Error, retryInMs: number) => void): { close(): Promise<void> }
  health: StorageHealth
}

/**
 * The Prisma implementations of the domain's ports, with outages mapped to 503s. `provider` is for
 * the few statements whose SQL differs (row locks exist on PostgreSQL only); `direct` runs the
 * hottest statements on the client's own adapter (see direct-sql.ts); every revocation goes
 * through the outbox, which wakes the revocation feed once it has committed.
 */
export function createStores(database: Database): Stores {
  const { prisma, provider, direct } = database
  const signal = new LocalRevocationSignal()
  const channel = revocationChannel(database.postgres?.schema)
  const outbox = new RevocationOutbox(prisma, provider, channel, () => signal.notify())
  return {
    users: translateUnavailable(createUserStore(prisma, provider, outbox, direct)),
    sessions: translateUnavailable(createSessionStore(prisma, outbox, direct)),
    audit: translateUnavailable(createAuditStore(prisma, direct)),
    clients: translateUnavailable(createClientStore(prisma)),
    accessTokenRevocations: translateUnavailable(createAccessTokenRevocationStore(prisma, provider, outbox)),
    signingKeys: translateUnavailable(createSigningKeyStore(prisma, provider)),
    revocationFeed: translateUnavailable(createRevocationFeedStore(prisma)),
    feedWebhooks: translateUnavailable(createFeedWebhookStore(prisma)),
    revocationSignal: signal,
    listenToOtherReplicas(onError) {
      const settings = database.postgres
      if (!settings) return { close: async () => {} }
      return listenForRevocations({ ...settings, channel, onNotify: () => signal.notify(), onError })
    },
    health: translateUnavailable({
      async ping() {
        await prisma.$queryRaw`SELECT 1`
      },
    }),
  }
}
