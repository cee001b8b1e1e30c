import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient as SqliteClient } from '../../src/storage/generated/sqlite/client.js'
import { PrismaClient } from '../../src/storage/generated/postgresql/client.js'
import { connect, pgSettings } from '../../src/storage/connect.js'
import { migrate } from '../../src/storage/migrate.js'
import { createSessionStore } from '../../src/storage/session-store.js'
import { randomUUID } from 'node:crypto'
import pg from 'pg'

for (const url of ['file:/tmp/scratch/x.db', 'postgresql://postgres@127.0.0.1:5432/test?schema=scratch_sql']) {
  const db = connect(url)
  await migrate(db)
  await db.close()
  let prisma: any
  if (url.startsWith('file:')) prisma = new SqliteClient({ adapter: new PrismaBetterSqlite3({ url: '/tmp/scratch/x.db' }), log: [{ emit: 'event', level: 'query' }] })
  else { const s = pgSettings(url); prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: s.connectionString }, { schema: s.schema! }), log: [{ emit: 'event', level: 'query' }] }) }
  prisma.$on('query', (e: any) => console.log('Q:', e.query, e.params))
  const store = createSessionStore(prisma)
  const now = new Date()
  const uid = randomUUID(), sid = randomUUID(), tid = randomUUID()
  await prisma.user.create({ data: { id: uid, email: uid + '@x', passwordHash: 'x', createdAt: now, updatedAt: now } })
  console.log('--- start')
  await store.start({ session: { id: sid, userId: uid, version: 0, clientId: 'c', scope: 's', createdAt: now, expiresAt: new Date(Date.now() + 1e9), userAgent: null, ip: null }, token: { id: tid, hash: 'h1' } } as any)
  console.log('--- find')
  console.log(await store.findByRefreshTokenHash('h1'))
  console.log('--- rotate')
  console.log(await store.rotate({ tokenId: tid, sessionId: sid, successor: { id: randomUUID(), hash: 'h2' }, at: new Date() }))
  await prisma.$disconnect()
}
const c = new pg.Client('postgresql://postgres@127.0.0.1:5432/test'); await c.connect(); await c.query('DROP SCHEMA scratch_sql CASCADE'); await c.end()
