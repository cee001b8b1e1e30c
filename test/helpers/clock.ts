import type { Clock } from '../../src/domain/clock.js'

/** A clock that stands still until a test moves it. */
export class TestClock implements Clock {
  #now: number

  constructor(start: Date = new Date()) {
    this.#now = start.getTime()
  }

  now(): Date {
    return new Date(this.#now)
  }

  advance(seconds: number): void {
    this.#now += seconds * 1000
  }
}
