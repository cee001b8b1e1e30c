/** The median of a point's rounds, with the spread a reader needs to judge it. */
export interface Summary {
  median: number
  min: number
  max: number
  samples: number[]
}

export function summarise(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('summarise: no samples')
  const sorted = [...samples].sort((a, b) => a - b)
  return { median: quantileOfSorted(sorted, 0.5), min: sorted[0]!, max: sorted[sorted.length - 1]!, samples: [...samples] }
}

/** Per-round ratios a[i] / b[i]: each pair was measured side by side, so drift between rounds cancels. */
export function pairwiseRatios(numerators: readonly number[], denominators: readonly number[]): number[] {
  if (numerators.length !== denominators.length) throw new RangeError('pairwiseRatios: unequal round counts')
  return numerators.map((value, index) => value / denominators[index]!)
}

/** Linear-interpolated quantile (q in [0, 1]) of an ascending array. */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN
  const position = (sorted.length - 1) * q
  const lower = Math.floor(position)
  const upper = Math.ceil(position)
  const low = sorted[lower]!
  return low + (sorted[upper]! - low) * (position - lower)
}

/** A growable list of latencies in milliseconds, cheap enough to record every response. */
export class Latencies {
  #values = new Float64Array(4096)
  #length = 0

  record(milliseconds: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2)
      grown.set(this.#values)
      this.#values = grown
    }
    this.#values[this.#length++] = milliseconds
  }

  get count(): number {
    return this.#length
  }

  /** p50 and p99 in milliseconds (NaN when nothing was recorded). */
  percentiles(): { p50: number; p99: number } {
    const sorted = this.#values.slice(0, this.#length).sort()
    return { p50: quantileOfSorted(sorted, 0.5), p99: quantileOfSorted(sorted, 0.99) }
  }
}
