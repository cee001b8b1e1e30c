import type { AccessTokenRevocationStore, AuditStore, ClientStore, SessionStore, SigningKeyStore, StorageHealth, UserStore } from '../domain/ports.js'
import { createAccessTokenRevocationStore } from './access-token-revocations.js'
import { createAuditStore } from './audit-log.js'
import { createClientStore } from './client-store.js'
import type { Database } from './connect.js'
import { translateUnavailable } from './prisma-errors.js'
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
  health: StorageHealth
}

/**
 * The Prisma implementations of the domain's ports, with outages mapped to 503s. `provider` is for
 * the few statements whose SQL differs (row locks exist on PostgreSQL only); `direct` runs the
 * hottest statements of the session store on the client's own adapter (see direct-sql.ts).
 */
export function createStores({ prisma, provider, direct }: Pick<Database, 'prisma' | 'provider' | 'direct'>): Stores {
  return {
    users: translateUnavailable(createUserStore(prisma, provider, direct)),
    sessions: translateUnavailable(createSessionStore(prisma, direct)),
    audit: translateUnavailable(createAuditStore(prisma, direct)),
    clients: translateUnavailable(createClientStore(prisma)),
    accessTokenRevocations: translateUnavailable(createAccessTokenRevocationStore(prisma)),
    signingKeys: translateUnavailable(createSigningKeyStore(prisma, provider)),
    health: translateUnavailable({
      async ping() {
        await prisma.$queryRaw`SELECT 1`
      },
    }),
  }
}
