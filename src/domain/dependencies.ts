import { addSeconds, CLOCK_SKEW_SECONDS, type Clock } from './clock.js'
import type { AccessTokenRevocationStore, AuditStore, ClientStore, LoginThrottle, OutcomeMetrics, RevocationTiming, SessionStore, UserStore } from './ports.js'
import type { RefreshTokenSecrets } from './sessions/refresh-token-secrets.js'
import type { SessionPolicy } from './sessions/session-policy.js'
import type { AccessTokens } from './tokens/access-tokens.js'
import type { SigningKeyManagement } from './tokens/signing-key-management.js'
import type { PasswordHasher } from './users/password-hasher.js'

export interface CoreSettings extends SessionPolicy {
  registrationOpen: boolean
  /** client_id, scope and audience of first-party sessions started by /login. */
  clientId: string
  scope: string
  audience: string
}

/** What every use case may depend on; built once by the composition root. */
export interface CoreDependencies {
  users: UserStore
  sessions: SessionStore
  audit: AuditStore
  clients: ClientStore
  accessTokenRevocations: AccessTokenRevocationStore
  hasher: PasswordHasher
  /** Counts failed logins per email and address, and per address (slows password guessing). */
  loginThrottle: LoginThrottle
  secrets: RefreshTokenSecrets
  accessTokens: AccessTokens
  /** Where signing keys live and how they rotate (or that configuration fixes them). */
  signingKeys: SigningKeyManagement
  clock: Clock
  settings: CoreSettings
  /** Where login and refresh outcomes are counted (a no-op when metrics are off). */
  metrics: OutcomeMetrics
}

/**
 * Stamps a revocation with now and with the instant after which it cannot matter: every access
 * token it could affect was issued before now, so all of them are expired one lifetime later,
 * and no edge accepts them once the clock-skew allowance has passed too.
 */
export function revocationTiming({ clock, accessTokens }: Pick<CoreDependencies, 'clock' | 'accessTokens'>): RevocationTiming {
  const at = clock.now()
  return { at, feedExpiresAt: addSeconds(at, accessTokens.lifetimeSeconds + CLOCK_SKEW_SECONDS) }
}
