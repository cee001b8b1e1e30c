import { randomUUID } from 'node:crypto'
import { addSeconds } from '../clock.js'
import type { CoreDependencies } from '../dependencies.js'
import { loginClient } from '../clients/session-clients.js'
import { AccountLockedError, InvalidGrantError, TooManyAttemptsError } from '../errors.js'
import { normaliseEmail } from '../users/email.js'
import { refreshExpiresIn } from './session-policy.js'
import { issueTokenPair, type TokenPair } from './token-pair.js'
import type { LoginOutcome, RequestContext } from '../ports.js'

export interface LoginInput {
  email: string
  password: string
  /** A registered public client to start the session for; the configured first-party client if absent. */
  clientId?: string
}

/**
 * Checks a password and starts a session (one refresh-token family). An unknown email and a wrong
 * password fail alike and take alike long, and count alike towards the login throttle; a locked
 * account is only revealed to someone who knows its password.
 */
export async function login(deps: CoreDependencies, input: LoginInput, context: RequestContext): Promise<TokenPair> {
  const { users, sessions, hasher, secrets, accessTokens, clock, settings } = deps
  // Before the password: a wrong client_id is the caller's configuration fault, not a login attempt.
  const client = await loginClient(deps, input.clientId)
  const email = normaliseEmail(input.email)
  const attempt = { email, ip: context.ip }
  await deps.loginThrottle.attempt(attempt).catch((error: unknown) => {
    if (error instanceof TooManyAttemptsError) deps.metrics.login('throttled')
    throw error
  })
  const user = await users.findByEmail(email)
  // Counted once recorded, so the counts match the audit trail.
  const failed = async (userId: string | null, reason: string, outcome: LoginOutcome = 'failed') => {
    await deps.audit.append({ type: 'login_failed', context, userId, detail: { email, reason }, at: clock.now() })
    deps.metrics.login(outcome)
    return `login: ${reason}${userId ? ` (user ${userId})` : ''}`
  }
  if (!user) {
    await hasher.verifyNothing(input.password)
    throw new InvalidGrantError(await failed(null, 'unknown email'))
  }
  if (!(await hasher.verify(user.passwordHash, input.password))) {
    throw new InvalidGrantError(await failed(user.id, 'wrong password'))
  }
  await deps.loginThrottle.succeeded(attempt)
  if (user.lockedAt) throw new AccountLockedError(await failed(user.id, 'account locked', 'locked'))

  const now = clock.now()
  if (hasher.needsRehash(user.passwordHash)) {
    await users.updatePasswordHash({ userId: user.id, passwordHash: await hasher.hash(input.password), at: now })
  }

  const session = {
    id: randomUUID(),
    userId: user.id,
    version: user.refreshTokenVersion,
    clientId: client.id,
    scope: client.scope,
    audience: client.audience,
    createdAt: now,
    expiresAt: addSeconds(now, settings.absoluteLifetimeSeconds),
    userAgent: context.userAgent,
    ip: context.ip,
  }
  const refreshToken = secrets.mint()
  await sessions.start({
    session,
    token: { id: randomUUID(), hash: refreshToken.hash },
    audit: { type: 'login_succeeded', context: { ...context, actorId: user.id }, userId: user.id, detail: { sessionId: session.id } },
  })
  deps.metrics.login('succeeded')
  return issueTokenPair(accessTokens, {
    session,
    refreshToken,
    refreshExpiresIn: refreshExpiresIn(session, now, now, settings),
  })
}
