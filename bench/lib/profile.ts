/**
 * How long each measured point runs. Every point is measured as `rounds` pairs (Latch, then its
 * floor, side by side) after one warm-up of each; only figures from the same run are compared.
 */
export interface Profile {
  name: 'full' | 'smoke'
  /** Seconds of unrecorded load before the first round of a point, for each side. */
  warmupSeconds: number
  rounds: number
  /** Seconds of one round of HTTP load (or of a raw floor loop). */
  roundSeconds: number
  /** Seconds of one round of an in-process micro-benchmark (token signing). */
  microSeconds: number
}

export const FULL: Profile = { name: 'full', warmupSeconds: 2, rounds: 3, roundSeconds: 4, microSeconds: 2 }

/** Tiny rounds: proves every benchmark still runs end to end (CI), measures nothing worth keeping. */
export const SMOKE: Profile = { name: 'smoke', warmupSeconds: 0, rounds: 1, roundSeconds: 0.5, microSeconds: 0.25 }
