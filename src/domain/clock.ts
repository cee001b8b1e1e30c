/**
 * Every rule that involves time asks the clock, never `Date.now()`, so tests can freeze and
 * advance time (the GoTrue `now func()` pattern).
 */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/**
 * The clock skew Latch allows for between the replicas that sign and the edges that verify: a
 * token may be accepted somewhere up to this long after its `exp` by Latch's clock.
 */
export const CLOCK_SKEW_SECONDS = 60

export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000)
}

export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000)
}
