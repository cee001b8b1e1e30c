import type { Clock } from '../domain/clock.js'
import type { SigningKeyStore, StoredSigningKey } from '../domain/ports.js'
import type { KeyEncryption } from '../domain/tokens/key-encryption.js'
import type { KeyRing } from '../domain/tokens/key-ring.js'
import type { KeyRingSource } from '../domain/tokens/key-ring-source.js'
import { ringAt, type ScheduledKey } from '../domain/tokens/key-schedule.js'
import { openStoredKey } from '../domain/tokens/signing-key-management.js'
import type { Logger } from '../logger.js'

export interface DatabaseKeyRingOptions {
  store: SigningKeyStore
  encryption: KeyEncryption
  clock: Clock
  logger: Logger
  /** Seconds between two scheduled reloads. */
  refreshIntervalSeconds: number
  /** Least seconds between two reloads triggered by tokens with an unknown kid. */
  unknownKidCooldownSeconds?: number
}

/**
 * This replica's view of the signing keys in the database. It reloads them on a timer (unref'd,
 * so it never keeps the process alive) and when a token names a kid it has not seen, and between
 * reloads it moves from ring to ring by the keys' own timestamps, so a key activates at the same
 * instant on every replica whether or not a reload happens then. A failed reload (database down,
 * a key that will not decrypt) keeps the last good keys: signing never depends on the database.
 */
export class DatabaseKeyRing implements KeyRingSource {
  readonly #options: DatabaseKeyRingOptions
  /** Opened keys by kid, with the sealed text they came from, so a reload decrypts only new rows. */
  #opened = new Map<string, { sealed: string; key: ScheduledKey }>()
  #keys: ScheduledKey[] = []
  #ring!: KeyRing
  #validUntil: Date | null = null
  #reloading: Promise<boolean> | null = null
  #lastUnknownKidReload = -Infinity
  #timer: NodeJS.Timeout | undefined

  private constructor(options: DatabaseKeyRingOptions) {
    this.#options = options
  }

  /** Loads the keys (failing loudly: a server must not start without them), then starts the timer. */
  static async open(options: DatabaseKeyRingOptions): Promise<DatabaseKeyRing> {
    const source = new DatabaseKeyRing(options)
    await source.#reload()
    source.#timer = setInterval(() => void source.refresh(), options.refreshIntervalSeconds * 1000).unref()
    return source
  }

  current(): KeyRing {
    const now = this.#options.clock.now()
    if (this.#validUntil !== null && now >= this.#validUntil) this.#advance(now)
    return this.#ring
  }

  refresh(): Promise<boolean> {
    this.#reloading ??= this.#reload()
      .then(
        () => true,
        (error: unknown) => {
          // The message only: it names a kid at most, never key material or query parameters.
          const reason = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error)
          this.#options.logger.warn({ reason }, 'could not reload the signing keys; keeping the last good ones')
          return false
        },
      )
      .finally(() => {
        this.#reloading = null
      })
    return this.#reloading
  }

  async refreshForUnknownKid(kid: string): Promise<boolean> {
    const now = this.#options.clock.now().getTime()
    const cooldown = (this.#options.unknownKidCooldownSeconds ?? 10) * 1000
    if (!this.#reloading) {
      if (now - this.#lastUnknownKidReload < cooldown) return false
      this.#lastUnknownKidReload = now
    }
    await this.refresh()
    return this.current().has(kid)
  }

  close(): void {
    clearInterval(this.#timer)
  }

  async #reload(): Promise<void> {
    const { store, encryption, clock, logger } = this.#options
    const rows = await store.listLive(clock.now())
    const opened = new Map<string, { sealed: string; key: ScheduledKey }>()
    for (const row of rows) {
      const known = this.#opened.get(row.kid)
      const key = known?.sealed === row.sealedPrivateJwk ? { ...known.key, ...times(row) } : await openStoredKey(encryption, row)
      opened.set(row.kid, { sealed: row.sealedPrivateJwk, key })
    }
    const keys = [...opened.values()].map((entry) => entry.key)
    const now = clock.now()
    const next = ringAt(keys, now)
    if (!next) throw new Error('the database holds no live signing key')
    const before = this.#keys.map((key) => key.kid).join(' ')
    this.#opened = opened
    this.#keys = keys
    this.#ring = next.ring
    this.#validUntil = next.validUntil
    const after = keys.map((key) => key.kid).join(' ')
    if (before !== after) logger.info({ kids: after.split(' '), signing: next.ring.active.kid }, 'signing keys loaded')
  }

  /** Time crossed a key's createdAt, activatesAt or retiresAt: move to the ring in force now. */
  #advance(now: Date): void {
    const next = ringAt(this.#keys, now)
    // Every key this replica knows has retired (reloads failing for a long time): keep signing
    // with the last ring rather than not at all, and keep saying so.
    if (!next) {
      this.#validUntil = null
      this.#options.logger.error('every signing key this replica knows has retired; still signing with the last one')
      return
    }
    this.#ring = next.ring
    this.#validUntil = next.validUntil
  }
}

function times(row: StoredSigningKey) {
  return { createdAt: row.createdAt, activatesAt: row.activatesAt, retiresAt: row.retiresAt }
}
