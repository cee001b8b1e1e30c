/**
 * Feed cursors are strings of digits that increase in commit order (docs/revocation-feed.md). They
 * may outgrow Number's safe integers, so they are compared as digit strings, never parsed.
 */
const DIGITS = /^(0|[1-9][0-9]{0,99})$/

export function isCursor(value: unknown): value is string {
  return typeof value === 'string' && DIGITS.test(value)
}

/** Negative when `a` comes before `b`, zero when equal, positive after. Both must be cursors. */
export function compareCursors(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length
  return a < b ? -1 : a > b ? 1 : 0
}
