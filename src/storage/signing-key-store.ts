import type { SigningKeyStore, StoredSigningKey } from '../domain/ports.js'
import { appendAudit } from './audit-log.js'
import type { Provider } from './connect.js'
import type { Prisma, PrismaClient, SigningKey as SigningKeyRow } from './generated/postgresql/client.js'

type Transaction = Prisma.TransactionClient

export function createSigningKeyStore(prisma: PrismaClient, provider: Provider): SigningKeyStore {
  return {
    async listLive(at) {
      const rows = await prisma.signingKey.findMany({
        where: { OR: [{ retiresAt: null }, { retiresAt: { gt: at } }] },
        orderBy: [{ createdAt: 'asc' }, { kid: 'asc' }],
      })
      return rows.map(toStoredKey)
    },

    async listAll() {
      const rows = await prisma.signingKey.findMany({ orderBy: [{ createdAt: 'asc' }, { kid: 'asc' }] })
      return rows.map(toStoredKey)
    },

    /*
     * One conditional INSERT: on SQLite the statement takes the write lock before it evaluates
     * NOT EXISTS, so of two starting processes exactly one inserts. On PostgreSQL, READ COMMITTED
     * would let both see "no key" and both insert, so a transaction-scoped advisory lock (the one
     * rotations take too) makes the second wait, then see the first's key.
     */
    async insertFirst({ key, audit }) {
      return prisma.$transaction(async (tx) => {
        await serializeKeyChanges(tx, provider)
        const row = toRow(key)
        const inserted = await tx.$executeRaw`
          INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, created_at, activates_at, retires_at)
          SELECT ${row.kid}, ${row.alg}, ${row.publicJwk}, ${row.privateJwk}, ${row.createdAt}, ${row.activatesAt}, NULL
          WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE retires_at IS NULL OR retires_at > ${row.createdAt})`
        if (inserted !== 1) return false
        await appendAudit(tx, audit, key.createdAt)
        return true
      })
    },

    /*
     * Serialized with other rotations (PostgreSQL: the advisory lock; SQLite: the INSERT comes
     * first and takes the write lock), so two concurrent rotations cannot both miss each other's
     * key and leave one that never retires.
     */
    async add({ key, retirePreviousAt, audit }) {
      return prisma.$transaction(async (tx) => {
        await serializeKeyChanges(tx, provider)
        await tx.signingKey.create({ data: toRow(key) })
        const retiring = await tx.signingKey.updateManyAndReturn({
          where: { kid: { not: key.kid }, retiresAt: null },
          data: { retiresAt: retirePreviousAt },
          select: { kid: true },
        })
        const kids = retiring.map((row) => row.kid).sort()
        await appendAudit(tx, { ...audit, detail: { ...audit.detail, retiring: kids.join(' ') } }, key.createdAt)
        return kids
      })
    },
  }
}

async function serializeKeyChanges(tx: Transaction, provider: Provider): Promise<void> {
  if (provider === 'postgresql') await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('latch:signing-keys'))`
}

function toRow(key: StoredSigningKey) {
  return {
    kid: key.kid,
    alg: key.alg,
    publicJwk: JSON.stringify(key.publicJwk),
    privateJwk: key.sealedPrivateJwk,
    createdAt: key.createdAt,
    activatesAt: key.activatesAt,
    retiresAt: key.retiresAt,
  }
}

function toStoredKey(row: SigningKeyRow): StoredSigningKey {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: JSON.parse(row.publicJwk) as Record<string, unknown>,
    sealedPrivateJwk: row.privateJwk,
    createdAt: row.createdAt,
    activatesAt: row.activatesAt,
    retiresAt: row.retiresAt,
  }
}
