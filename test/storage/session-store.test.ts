import { createHash, randomBytes, randomUUID } from 'node:crypto'
import test from 'ava'
import type { SessionStore } from '../../src/domain/ports.js'
import { connect, type Database } from '../../src/storage/connect.js'
import { sql } from '../../src/storage/direct-sql.js'
import { migrate } from '../../src/storage/migrate.js'
import { createStores } from '../../src/storage/stores.js'
import { freshDatabase, PROVIDERS } from '../helpers/databases.js'

/**
 * The session store's hot statements (direct-sql.ts): the rotation's compare-and-set under
 * concurrency, its re-checks of what a concurrent writer can change, and the rule that they run on
 * the Prisma client's own connection and, for writes, inside the adapter's transactions.
 */

const CONTENDERS = 12

async function openStore(t: import('ava').ExecutionContext) {
  const fresh = await freshDatabase(t.title.startsWith('postgresql') ? 'postgresql' : 'sqlite')
  const database = connect(fresh.url)
  t.teardown(async () => {
    await database.close()
    await fresh.drop()
  })
  await migrate(database)
  return { database, sessions: createStores(database).sessions }
}

function hash(): string {
  return createHash('sha256').update(randomBytes(32)).digest('base64url')
}

/** A user, a session and its first refresh token, written through Prisma. */
async function seed(database: Database, sessions: SessionStore) {
  const now = new Date()
  const user = await database.prisma.user.create({
    data: { id: randomUUID(), email: `${randomUUID()}@example.com`, passwordHash: 'x', createdAt: now, updatedAt: now },
  })
  const session = {
    id: randomUUID(),
    userId: user.id,
    version: 0,
    clientId: 'latch-web',
    scope: 'api',
    audience: 'latch',
    createdAt: now,
    expiresAt: new Date(now.getTime() + 86_400_000),
    userAgent: null,
    ip: null,
  }
  const token = { id: randomUUID(), hash: hash() }
  await sessions.start({ session, token, audit: { type: 'login_succeeded', context: { actorId: user.id, ip: null, userAgent: null }, userId: user.id } })
  return { user, session, token }
}

for (const provider of PROVIDERS) {
  test(`${provider}: a session started on the hot path reads back through Prisma as it was given, with its token and audit record`, async (t) => {
    const { database, sessions } = await openStore(t)
    const { user, session, token } = await seed(database, sessions)
    t.deepEqual(await database.prisma.session.findUnique({ where: { id: session.id } }), {
      ...session,
      lastUsedAt: session.createdAt,
      revokedAt: null,
      revokeReason: null,
    })
    t.deepEqual(await database.prisma.refreshToken.findUnique({ where: { id: token.id } }), {
      id: token.id,
      sessionId: session.id,
      hash: token.hash,
      createdAt: session.createdAt,
      usedAt: null,
      successorId: null,
    })
    const [event] = await database.prisma.auditEvent.findMany({ where: { userId: user.id } })
    t.like(event, { type: 'login_succeeded', actorId: user.id, userId: user.id, ip: null, userAgent: null, detail: null, createdAt: session.createdAt })
  })

  test(`${provider}: the lookup reads token, session and user as Prisma wrote them`, async (t) => {
    const { database, sessions } = await openStore(t)
    const { user, session, token } = await seed(database, sessions)
    const state = await sessions.findByRefreshTokenHash(token.hash)
    t.deepEqual(state, {
      token: { id: token.id, usedAt: null },
      session: {
        id: session.id,
        userId: user.id,
        version: 0,
        clientId: 'latch-web',
        scope: 'api',
        audience: 'latch',
        lastUsedAt: session.createdAt,
        expiresAt: session.expiresAt,
        revokedAt: null,
      },
      user: { refreshTokenVersion: 0, lockedAt: null },
      client: { disabledAt: null },
    })
    t.is(await sessions.findByRefreshTokenHash(hash()), null)
  })

  test(`${provider}: a rotation writes rows Prisma reads back, with the successor linked`, async (t) => {
    const { database, sessions } = await openStore(t)
    const { session, token } = await seed(database, sessions)
    const at = new Date(session.createdAt.getTime() + 1234)
    const successor = { id: randomUUID(), hash: hash() }
    t.true(await sessions.rotate({ tokenId: token.id, sessionId: session.id, successor, at }))

    const consumed = await database.prisma.refreshToken.findUniqueOrThrow({ where: { id: token.id } })
    t.deepEqual([consumed.usedAt, consumed.successorId], [at, successor.id])
    const stored = await database.prisma.refreshToken.findUniqueOrThrow({ where: { id: successor.id } })
    t.deepEqual([stored.sessionId, stored.hash, stored.createdAt, stored.usedAt], [session.id, successor.hash, at, null])
    t.deepEqual((await database.prisma.session.findUniqueOrThrow({ where: { id: session.id } })).lastUsedAt, at)
    // A used token does not rotate again.
    t.false(await sessions.rotate({ tokenId: token.id, sessionId: session.id, successor: { id: randomUUID(), hash: hash() }, at }))
    t.is(await database.prisma.refreshToken.count({ where: { sessionId: session.id } }), 2)
  })

  test(`${provider}: a rotation whose successor hash is taken fails whole, and leaves no transaction open`, async (t) => {
    const { database, sessions } = await openStore(t)
    const { session, token } = await seed(database, sessions)
    const other = await seed(database, sessions)
    const at = new Date()
    t.false(await sessions.rotate({ tokenId: token.id, sessionId: session.id, successor: { id: randomUUID(), hash: other.token.hash }, at }))
    t.is((await database.prisma.refreshToken.findUniqueOrThrow({ where: { id: token.id } })).usedAt, null, 'not consumed')
    t.deepEqual((await database.prisma.session.findUniqueOrThrow({ where: { id: session.id } })).lastUsedAt, session.createdAt, 'not touched')
    // The connection is usable at once, by the hot path and by Prisma's own transactions.
    t.true(await sessions.rotate({ tokenId: token.id, sessionId: session.id, successor: { id: randomUUID(), hash: hash() }, at }))
    await database.prisma.$transaction([database.prisma.session.update({ where: { id: session.id }, data: { scope: 'api' } })])
  })

  // The derived successor hash is the same for every contender in production, which the unique
  // index alone would settle; distinct hashes leave the compare-and-set on used_at to do it.
  for (const successors of ['the same successor hash', 'distinct successor hashes'] as const) {
    test(`${provider}: ${CONTENDERS} concurrent rotations of one token with ${successors}: exactly one consumes it`, async (t) => {
      const { database, sessions } = await openStore(t)
      for (let round = 0; round < 3; round++) {
        const { session, token } = await seed(database, sessions)
        const shared = hash()
        const contenders = Array.from({ length: CONTENDERS }, () => ({ id: randomUUID(), hash: successors === 'the same successor hash' ? shared : hash() }))
        const at = new Date()
        const results = await Promise.all(contenders.map((successor) => sessions.rotate({ tokenId: token.id, sessionId: session.id, successor, at })))

        t.is(results.filter(Boolean).length, 1, `round ${round}: one winner`)
        const winner = contenders[results.indexOf(true)]!
        const rows = await database.prisma.refreshToken.findMany({ where: { sessionId: session.id }, orderBy: { createdAt: 'asc' } })
        t.is(rows.length, 2, `round ${round}: the token and exactly one successor`)
        const consumed = rows.find((row) => row.id === token.id)!
        t.is(consumed.successorId, winner.id, 'the consumed token points at the successor that was stored')
        t.deepEqual(rows.find((row) => row.id !== token.id)!.id, winner.id)
      }
    })
  }

  test(`${provider}: the rotation re-checks revocation, lockout and version, and writes nothing then`, async (t) => {
    const { database, sessions } = await openStore(t)
    const changes = {
      'session revoked': (ids: { session: string; user: string }) => database.prisma.session.update({ where: { id: ids.session }, data: { revokedAt: new Date() } }),
      'user locked': (ids: { session: string; user: string }) => database.prisma.user.update({ where: { id: ids.user }, data: { lockedAt: new Date() } }),
      'version bumped': (ids: { session: string; user: string }) => database.prisma.user.update({ where: { id: ids.user }, data: { refreshTokenVersion: { increment: 1 } } }),
    }
    for (const [label, change] of Object.entries(changes)) {
      const { user, session, token } = await seed(database, sessions)
      // As if a concurrent writer acted between the lookup and the rotation.
      await change({ session: session.id, user: user.id })
      const successor = { id: randomUUID(), hash: hash() }
      t.false(await sessions.rotate({ tokenId: token.id, sessionId: session.id, successor, at: new Date() }), label)
      t.is((await database.prisma.refreshToken.findUniqueOrThrow({ where: { id: token.id } })).usedAt, null, `${label}: not consumed`)
      t.is(await database.prisma.refreshToken.count({ where: { id: successor.id } }), 0, `${label}: no successor`)
      t.deepEqual((await database.prisma.session.findUniqueOrThrow({ where: { id: session.id } })).lastUsedAt, session.createdAt, `${label}: not touched`)
    }
  })

  test(`${provider}: the live-state check reads session, user and the jti's revocation in one query`, async (t) => {
    const { database, sessions } = await openStore(t)
    const { user, session } = await seed(database, sessions)
    const jti = randomUUID()
    const live = await sessions.findLiveState({ sessionId: session.id, jti })
    t.deepEqual(live, {
      session: { id: session.id, revokedAt: null, expiresAt: session.expiresAt },
      user: { id: user.id, email: user.email, role: 'user', refreshTokenVersion: 0, lockedAt: null },
      accessTokenRevoked: false,
    })
    const now = new Date()
    await database.prisma.revocation.create({ data: { kind: 'access_token', userId: user.id, sessionId: session.id, jti, reason: 'token_revoked', createdAt: now, expiresAt: now } })
    t.true((await sessions.findLiveState({ sessionId: session.id, jti }))!.accessTokenRevoked)
    t.false((await sessions.findLiveState({ sessionId: session.id, jti: randomUUID() }))!.accessTokenRevoked)
    t.is(await sessions.findLiveState({ sessionId: randomUUID(), jti }), null)
  })
}

if (PROVIDERS.includes('postgresql')) {
  test('postgresql: the one-statement rotation waits for a concurrent writer of the token, then re-reads used_at', async (t) => {
    const { database, sessions } = await openStore(t)
    for (const outcome of ['commits', 'rolls back'] as const) {
      const { session, token } = await seed(database, sessions)
      let rotation: Promise<boolean> | undefined
      let settled = false
      await database.prisma
        .$transaction(async (tx) => {
          await tx.$executeRaw`SELECT 1 FROM refresh_tokens WHERE id = ${token.id} FOR UPDATE`
          rotation = sessions.rotate({ tokenId: token.id, sessionId: session.id, successor: { id: randomUUID(), hash: hash() }, at: new Date() })
          void rotation.finally(() => (settled = true))
          await new Promise((resolve) => setTimeout(resolve, 150))
          t.false(settled, `${outcome}: the rotation waits on the token's row lock`)
          await tx.refreshToken.update({ where: { id: token.id }, data: { usedAt: new Date() } })
          if (outcome === 'rolls back') throw new Error('roll back')
        })
        .catch((error: Error) => t.is(error.message, 'roll back'))
      // Committed: the token is used now, so the compare-and-set matches nothing. Rolled back: it
      // is still unused, and the waiting rotation consumes it.
      t.is(await rotation!, outcome === 'rolls back', outcome)
      t.is(await database.prisma.refreshToken.count({ where: { sessionId: session.id } }), outcome === 'rolls back' ? 2 : 1, `${outcome}: successors`)
    }
  })

  test('postgresql: the successor foreign key is enforced, and satisfied by the row the same statement inserts', async (t) => {
    const { database, sessions } = await openStore(t)
    const { session, token } = await seed(database, sessions)
    await t.throwsAsync(database.prisma.refreshToken.update({ where: { id: token.id }, data: { successorId: randomUUID() } }), { code: 'P2003' })
    t.true(await sessions.rotate({ tokenId: token.id, sessionId: session.id, successor: { id: randomUUID(), hash: hash() }, at: new Date() }))
  })
}

if (PROVIDERS.includes('sqlite')) {
  test('sqlite: the hot statements run on the Prisma client’s own connection', async (t) => {
    const { database, sessions } = await openStore(t)
    const { session } = await seed(database, sessions)
    // Inside an open Prisma transaction, a read on the same connection sees its uncommitted write;
    // a second connection would not (and would risk a synchronous busy wait on the event loop).
    await database.prisma.$transaction(async (tx) => {
      await tx.session.update({ where: { id: session.id }, data: { scope: 'uncommitted' } })
      const [row] = await database.direct.query(sql`SELECT scope FROM sessions WHERE id = ${session.id}`)
      t.is(row?.scope, 'uncommitted')
    })
  })

  test('sqlite: a rotation waits for an open Prisma transaction instead of joining it', async (t) => {
    const { database, sessions } = await openStore(t)
    const { session, token } = await seed(database, sessions)
    const events: string[] = []
    let rotation: Promise<boolean> | undefined
    await t.throwsAsync(
      database.prisma.$transaction(async (tx) => {
        await tx.session.update({ where: { id: session.id }, data: { scope: 'rolled back' } })
        rotation = sessions.rotate({ tokenId: token.id, sessionId: session.id, successor: { id: randomUUID(), hash: hash() }, at: new Date() })
        void rotation.then(() => events.push('rotated'))
        await new Promise((resolve) => setTimeout(resolve, 50))
        events.push('transaction ends')
        throw new Error('roll back')
      }),
      { message: 'roll back' },
    )
    t.true(await rotation!)
    t.deepEqual(events, ['transaction ends', 'rotated'], 'the rotation ran after the transaction')
    // The rollback undid the transaction's write but not the rotation, which committed on its own.
    const stored = await database.prisma.session.findUniqueOrThrow({ where: { id: session.id } })
    t.is(stored.scope, 'api')
    t.not((await database.prisma.refreshToken.findUniqueOrThrow({ where: { id: token.id } })).usedAt, null)
  })
}
