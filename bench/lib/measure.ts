import type { Profile } from './profile.js'

/** What one round of one side yields; each benchmark picks the figures it reports. */
export interface Round {
  rps: number
  p50: number
  p99: number
  /** CPU time the measured process spent per operation, microseconds (where measured). */
  cpuPerOp?: number
}

export interface Sides<T> {
  latch: (seconds: number) => Promise<T>
  floor: (seconds: number) => Promise<T>
  /** Runs after every round of either side (e.g. let a flood drain before the next round). */
  settle?: () => Promise<void>
}

/**
 * Measures a point side by side: one warm-up of each side (discarded; none in smoke mode), then
 * `rounds` pairs, Latch then floor, so that both sides of a pair see the same moment of a noisy
 * machine.
 */
export async function measurePairs<T>(profile: Profile, sides: Sides<T>, seconds = profile.roundSeconds): Promise<{ latch: T[]; floor: T[] }> {
  const settle = sides.settle ?? (async () => {})
  if (profile.warmupSeconds > 0) {
    await sides.latch(profile.warmupSeconds)
    await settle()
    await sides.floor(profile.warmupSeconds)
    await settle()
  }
  const latch: T[] = []
  const floor: T[] = []
  for (let round = 0; round < profile.rounds; round++) {
    latch.push(await sides.latch(seconds))
    await settle()
    floor.push(await sides.floor(seconds))
    await settle()
  }
  return { latch, floor }
}

export const sleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds))
