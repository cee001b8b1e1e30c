import type { KeyRing } from './key-ring.js'

/**
 * Where signing and verification get the ring in force right now. `current()` is the hot path: it
 * never waits on I/O, so issuing and verifying tokens keep working while the keys' storage is
 * down. Implementations swap whole immutable rings, so no lock is needed.
 */
export interface KeyRingSource {
  current(): KeyRing
  /**
   * Reloads the keys now. Never throws: on failure the last good ring stays in force (and the
   * implementation reports it). Resolves true when the reload succeeded.
   */
  refresh(): Promise<boolean>
  /**
   * A token names a kid the current ring lacks: perhaps a key another replica just added. Reloads
   * unless one was attempted recently (so forged kids cannot hammer storage). Resolves true when
   * the ring now knows the kid.
   */
  refreshForUnknownKid(kid: string): Promise<boolean>
}

/** Keys fixed by configuration: nothing to reload. */
export class StaticKeyRingSource implements KeyRingSource {
  constructor(private readonly ring: KeyRing) {}

  current(): KeyRing {
    return this.ring
  }

  async refresh(): Promise<boolean> {
    return true
  }

  async refreshForUnknownKid(): Promise<boolean> {
    return false
  }
}
