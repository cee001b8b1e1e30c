import { randomUUID } from 'node:crypto'
import test from 'ava'
import { connect } from '../../src/storage/connect.js'
import { migrate } from '../../src/storage/migrate.js'
import { createStores } from '../../src/storage/stores.js'
import { freshDatabase, PROVIDERS } from '../helpers/databases.js'

/** Audit events appended on the hot path (direct-sql.ts) list back like any other. */

for (const provider of PROVIDERS) {
  test(`${provider}: an appended event is listed with its detail, context and time`, async (t) => {
    const fresh = await freshDatabase(provider)
    const database = connect(fresh.url)
    t.teardown(async () => {
      await database.close()
      await fresh.drop()
    })
    await migrate(database)
    const { audit } = createStores(database)
    const userId = randomUUID()
    const at = new Date()
    await audit.append({ type: 'login_failed', context: { actorId: null, ip: '192.0.2.1', userAgent: 'ua' }, userId, detail: { email: 'a@example.com', reason: 'wrong password' }, at })
    await audit.append({ type: 'login_failed', context: { actorId: null, ip: null, userAgent: null }, userId, at: new Date(at.getTime() + 1) })
    const [second, first] = await audit.list({ userId, type: null, after: null, limit: 10 })
    t.like(first, { type: 'login_failed', actorId: null, userId, ip: '192.0.2.1', userAgent: 'ua', detail: { email: 'a@example.com', reason: 'wrong password' }, createdAt: at })
    t.like(second, { ip: null, userAgent: null, detail: {} })
    t.true(second!.id > first!.id)
  })
}
