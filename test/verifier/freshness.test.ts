import test from 'ava'
import { Freshness } from '../../src/verifier/freshness.js'

/** When the verifier may answer alone: caught up, heard from within staleAfter, not overflowed. */

const STALE_AFTER = 10_000

test('never fresh before the first heartbeat', (t) => {
  const freshness = new Freshness(STALE_AFTER)
  freshness.connecting()
  t.deepEqual(freshness.state(0, false), { fresh: false, reason: 'not_caught_up' })
  freshness.heard(100)
  t.deepEqual(freshness.state(100, false), { fresh: false, reason: 'not_caught_up' }, 'a SET of the backlog is not being caught up')
  freshness.caughtUpAt(200)
  t.deepEqual(freshness.state(200, false), { fresh: true })
})

test('stale once nothing was heard for longer than staleAfter, fresh again at the next heartbeat', (t) => {
  const freshness = new Freshness(STALE_AFTER)
  freshness.caughtUpAt(0)
  t.true(freshness.state(STALE_AFTER, false).fresh, 'exactly staleAfter is not longer than it')
  t.deepEqual(freshness.state(STALE_AFTER + 1, false), { fresh: false, reason: 'silent' })
  freshness.caughtUpAt(STALE_AFTER + 5)
  t.true(freshness.state(STALE_AFTER + 5, false).fresh)
})

test('a SET heard while caught up keeps the view current', (t) => {
  const freshness = new Freshness(STALE_AFTER)
  freshness.caughtUpAt(0)
  freshness.heard(8_000)
  t.true(freshness.state(15_000, false).fresh)
  t.is(freshness.lastHeardAt, 8_000)
})

test('after a reconnect, the backlog does not refresh the view: only the first heartbeat does', (t) => {
  const freshness = new Freshness(STALE_AFTER)
  freshness.caughtUpAt(0)
  freshness.connecting()
  freshness.heard(9_000)
  t.true(freshness.state(9_000, false).fresh, 'the set is still as good as it was at the last heartbeat')
  t.deepEqual(freshness.state(10_001, false), { fresh: false, reason: 'silent' }, 'backlog SETs did not extend it')
  t.is(freshness.lastHeardAt, 9_000, 'but they were heard')
  freshness.caughtUpAt(10_500)
  t.true(freshness.state(10_500, false).fresh)
})

test('a reset makes the verifier stale at once, until the heartbeat after the rebuild', (t) => {
  const freshness = new Freshness(STALE_AFTER)
  freshness.caughtUpAt(0)
  freshness.reset()
  t.deepEqual(freshness.state(1, false), { fresh: false, reason: 'not_caught_up' })
  freshness.heard(2)
  t.false(freshness.state(2, false).fresh)
  freshness.caughtUpAt(3)
  t.true(freshness.state(3, false).fresh)
})

test('an overflowed set is stale whatever the feed says', (t) => {
  const freshness = new Freshness(STALE_AFTER)
  freshness.caughtUpAt(0)
  t.deepEqual(freshness.state(0, true), { fresh: false, reason: 'capacity' })
})
