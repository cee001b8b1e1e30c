import { randomUUID } from 'node:crypto'
import test from 'ava'
import { connect } from '../../src/storage/connect.js'
import { migrate } from '../../src/storage/migrate.js'
import { createStores } from '../../src/storage/stores.js'
import { freshDatabase, PROVIDERS } from '../helpers/databases.js'

/** The login's lookup by email runs on the client's own adapter (direct-sql.ts) and reads what Prisma wrote. */

for (const provider of PROVIDERS) {
  test(`${provider}: findByEmail reads the user as Prisma wrote it, and null for an unknown email`, async (t) => {
    const fresh = await freshDatabase(provider)
    const database = connect(fresh.url)
    t.teardown(async () => {
      await database.close()
      await fresh.drop()
    })
    await migrate(database)
    const { users } = createStores(database)
    const at = new Date()
    const user = {
      id: randomUUID(),
      email: `${randomUUID()}@example.com`,
      passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
      role: 'admin' as const,
      refreshTokenVersion: 7,
      lockedAt: new Date(at.getTime() - 1000),
      lockReason: 'testing',
      createdAt: new Date(at.getTime() - 5000),
      updatedAt: at,
    }
    await database.prisma.user.create({ data: user })
    t.deepEqual(await users.findByEmail(user.email), user)
    t.is(await users.findByEmail(`nobody-${randomUUID()}@example.com`), null)
  })
}
