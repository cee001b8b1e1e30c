import type { AuditStore, SessionStore, StorageHealth, UserStore } from '../domain/ports.js'
import { createAuditStore } from './audit-log.js'
import type { PrismaClient } from './generated/postgresql/client.js'
import { translateUnavailable } from './prisma-errors.js'
import { createSessionStore } from './session-store.js'
import { createUserStore } from './user-store.js'

export interface Stores {
  users: UserStore
  sessions: SessionStore
  audit: AuditStore
  health: StorageHealth
}

/** The Prisma implementations of the domain's ports, with outages mapped to 503s. */
export function createStores(prisma: PrismaClient): Stores {
  return {
    users: translateUnavailable(createUserStore(prisma)),
    sessions: translateUnavailable(createSessionStore(prisma)),
    audit: translateUnavailable(createAuditStore(prisma)),
    health: translateUnavailable({
      async ping() {
        await prisma.$queryRaw`SELECT 1`
      },
    }),
  }
}
