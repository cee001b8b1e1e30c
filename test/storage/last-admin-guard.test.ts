import test from 'ava'
import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import { LastAdminError } from '../../src/domain/errors.js'
import { PROVIDERS } from '../helpers/databases.js'
import { PASSWORD, TestLatch, uniqueEmail } from '../helpers/latch.js'

/**
 * The last-admin guard holds under concurrency: two changes that each remove a different admin,
 * at the same moment, must not both commit. Under PostgreSQL's READ COMMITTED each would see the
 * other admin still there; the guard's row locks make the second wait and count again.
 */

const ROUNDS = 6

for (const provider of PROVIDERS) {
  test(`${provider}: two admins removed at once leave exactly one`, async (t) => {
    const server = await TestLatch.start(provider)
    t.teardown(() => server.close())
    const { core } = server.latch
    const prisma = server.latch.database.prisma
    const [a, b] = await Promise.all([1, 2].map(() => core.createUser({ email: uniqueEmail('admin'), password: PASSWORD, role: 'admin' }, OPERATOR_CONTEXT)))

    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the kinds of removal: two demotions, then a demotion racing a lock.
      const removeB = round % 2 === 0 ? core.changeRole({ userId: b!.id, role: 'user' }, OPERATOR_CONTEXT) : core.lockUser({ userId: b!.id, reason: 'race' }, OPERATOR_CONTEXT)
      const results = await Promise.allSettled([core.changeRole({ userId: a!.id, role: 'user' }, OPERATOR_CONTEXT), removeB])
      const refused = results.filter((result) => result.status === 'rejected')
      t.is(refused.length, 1, `round ${round}: exactly one change is refused`)
      t.true((refused[0] as PromiseRejectedResult).reason instanceof LastAdminError, String((refused[0] as PromiseRejectedResult | undefined)?.reason))
      t.is(await prisma.user.count({ where: { role: 'admin', lockedAt: null } }), 1, `round ${round}: one unlocked admin remains`)
      // Put both back for the next round.
      await prisma.user.updateMany({ where: { id: { in: [a!.id, b!.id] } }, data: { role: 'admin', lockedAt: null, lockReason: null } })
    }
  })
}
