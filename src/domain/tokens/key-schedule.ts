import { KeyRing, type SigningKey } from './key-ring.js'

/**
 * When a key is published, signs and leaves. Every replica decides from these timestamps alone,
 * so they agree without talking to each other:
 * - the signing key is the one with the greatest activatesAt <= now;
 * - the JWKS holds every key with createdAt <= now and (retiresAt null or > now).
 */
export interface KeyTimes {
  createdAt: Date
  activatesAt: Date
  retiresAt: Date | null
}

export type ScheduledKey = SigningKey & KeyTimes

/** pending: published, not signing yet; active: signs; retiring: superseded, still published; retired: gone. */
export type KeyState = 'pending' | 'active' | 'retiring' | 'retired'

/**
 * The key that signs at `now`. Ties (two replicas bootstrapping in the same millisecond) go to the
 * greater kid, so everyone picks the same one. When no key has activated yet by this clock (a
 * replica whose clock lags the one that created the first key), the earliest key signs rather
 * than none: it is published, and the lag is below any token lifetime.
 */
export function signerAt<K extends { kid: string } & KeyTimes>(keys: readonly K[], now: Date): K | undefined {
  const live = keys.filter((key) => !isRetired(key, now))
  const activated = live.filter((key) => key.activatesAt <= now)
  if (activated.length > 0) return activated.reduce((best, key) => (compare(key, best) > 0 ? key : best))
  return live.reduce<K | undefined>((earliest, key) => (!earliest || compare(key, earliest) < 0 ? key : earliest), undefined)
}

export function stateAt(key: { kid: string } & KeyTimes, signerKid: string | undefined, now: Date): KeyState {
  if (isRetired(key, now)) return 'retired'
  if (key.kid === signerKid) return 'active'
  return key.activatesAt > now ? 'pending' : 'retiring'
}

/**
 * The ring in force at `now`, and the first instant after which it may differ (a key is created,
 * activates or retires; null if none is scheduled). Callers keep the ring until then, so the hot
 * path never recomputes it. Null when there is no live key at all.
 */
export function ringAt(keys: readonly ScheduledKey[], now: Date): { ring: KeyRing; validUntil: Date | null } | null {
  const signer = signerAt(keys, now)
  if (!signer) return null
  const published = keys
    .filter((key) => key.createdAt <= now && !isRetired(key, now))
    .sort((a, b) => compare(b, a))
  const upcoming = keys
    .flatMap((key) => [key.createdAt, key.activatesAt, key.retiresAt])
    .filter((instant): instant is Date => instant !== null && instant > now)
    .map((instant) => instant.getTime())
  return { ring: new KeyRing(signer, published), validUntil: upcoming.length > 0 ? new Date(Math.min(...upcoming)) : null }
}

function isRetired(key: KeyTimes, now: Date): boolean {
  return key.retiresAt !== null && key.retiresAt <= now
}

/** Orders keys by activation, then kid: the later a key activates, the more recent it is. */
function compare(a: { kid: string; activatesAt: Date }, b: { kid: string; activatesAt: Date }): number {
  return a.activatesAt.getTime() - b.activatesAt.getTime() || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0)
}
