import test from 'ava'
import { PROVIDERS, type Provider } from './databases.js'
import { TestLatch, type TestLatchOptions } from './latch.js'

/**
 * Declares a file's tests once per database. Each database gets one real server for the whole
 * file (tests use unique emails, so they can run concurrently); `server()` returns it.
 * Tests name their provider in the title: test(`${provider}: ...`).
 */
export function eachDatabase(define: (provider: Provider, server: () => TestLatch) => void, options: TestLatchOptions = {}): void {
  for (const provider of PROVIDERS) {
    let running: TestLatch | undefined
    test.before(async () => {
      running = await TestLatch.start(provider, options)
    })
    test.after.always(async () => {
      await running?.close()
    })
    define(provider, () => {
      if (!running) throw new Error('the test server did not start')
      return running
    })
  }
}
