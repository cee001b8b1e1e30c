import { randomUUID } from 'node:crypto'
import { addSeconds } from '../clock.js'
import type { CoreDependencies } from '../dependencies.js'
import { AccountLockedError, InvalidGrantError } from '../errors.js'
import { normaliseEmail } from '../users/email.js'
import { refreshExpiresIn } from './session-policy.js'
import { issueTokenPair, type TokenPair } from './token-pair.js'

export interface LoginInput {
  email: string
  password: string
  userAgent: string | null
  ip: string | null
}

/**
 * Checks a password and starts a session (one refresh-token family). An unknown email and a wrong
 * password fail alike and take alike long; a locked account is only revealed to someone who
 * knows its password.
 */
export async function login(deps: CoreDependencies, input: LoginInput): Promise<TokenPair> {
  const { users, sessions, hasher, secrets, accessTokens, clock, settings } = deps
  const user = await users.findByEmail(normaliseEmail(input.email))
  if (!user) {
    await hasher.verifyNothing(input.password)
    throw new InvalidGrantError('login: unknown email')
  }
  if (!(await hasher.verify(user.passwordHash, input.password))) {
    throw new InvalidGrantError(`login: wrong password for user ${user.id}`)
  }
  if (user.lockedAt) throw new AccountLockedError(`login: user ${user.id} is locked`)

  const now = clock.now()
  if (hasher.needsRehash(user.passwordHash)) {
    await users.updatePasswordHash({ userId: user.id, passwordHash: await hasher.hash(input.password), at: now })
  }

  const session = {
    id: randomUUID(),
    userId: user.id,
    version: user.refreshTokenVersion,
    clientId: settings.clientId,
    scope: settings.scope,
    createdAt: now,
    expiresAt: addSeconds(now, settings.absoluteLifetimeSeconds),
    userAgent: input.userAgent,
    ip: input.ip,
  }
  const refreshToken = secrets.mint()
  await sessions.start({ session, token: { id: randomUUID(), hash: refreshToken.hash } })
  return issueTokenPair(accessTokens, {
    session,
    refreshToken,
    refreshExpiresIn: refreshExpiresIn(session, now, now, settings),
  })
}
