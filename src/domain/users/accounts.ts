import { randomUUID } from 'node:crypto'
import { revocationTiming, type CoreDependencies } from '../dependencies.js'
import { NotFoundError, RegistrationClosedError } from '../errors.js'
import type { RequestContext, Role, User } from '../ports.js'
import { normaliseEmail } from './email.js'
import { assertAcceptablePassword } from './password-policy.js'

export interface NewAccount {
  email: string
  password: string
  role?: Role
}

/** Self-service sign-up; refused when registration is closed by configuration. */
export async function register(deps: CoreDependencies, input: NewAccount, context: RequestContext): Promise<User> {
  if (!deps.settings.registrationOpen) throw new RegistrationClosedError()
  return createUser(deps, { email: input.email, password: input.password, role: 'user' }, context)
}

/** Creates an account of any role, for operators and admins. */
export async function createUser(deps: CoreDependencies, input: NewAccount, context: RequestContext): Promise<User> {
  assertAcceptablePassword(input.password)
  const now = deps.clock.now()
  const user: User = {
    id: randomUUID(),
    email: normaliseEmail(input.email),
    passwordHash: await deps.hasher.hash(input.password),
    role: input.role ?? 'user',
    refreshTokenVersion: 0,
    lockedAt: null,
    lockReason: null,
    createdAt: now,
    updatedAt: now,
  }
  await deps.users.create(user, { type: 'user_created', context, userId: user.id, detail: { role: user.role } })
  return user
}

export interface LockInput {
  userId: string
  reason: string
  /** Lock even the last unlocked admin (otherwise LastAdminError). */
  force?: boolean | undefined
}

/**
 * Locks an account: no login, no refresh, and every session it had is revoked, atomically. The
 * last unlocked admin is only locked with `force`: nobody would be left to unlock anyone.
 */
export async function lockUser(deps: CoreDependencies, input: LockInput, context: RequestContext): Promise<User> {
  const force = input.force ?? false
  const detail = { reason: input.reason, ...(force ? { force } : {}) }
  const audit = { type: 'user_locked', context, userId: input.userId, detail } as const
  const user = await deps.users.lock({ userId: input.userId, reason: input.reason, force, audit, ...revocationTiming(deps) })
  if (!user) throw new NotFoundError(`no user with id ${input.userId}`)
  return user
}

/** Unlocks an account. Its old sessions stay dead: the user logs in again. */
export async function unlockUser(deps: CoreDependencies, input: { userId: string }, context: RequestContext): Promise<User> {
  const audit = { type: 'user_unlocked', context, userId: input.userId } as const
  const user = await deps.users.unlock({ ...input, audit, ...revocationTiming(deps) })
  if (!user) throw new NotFoundError(`no user with id ${input.userId}`)
  return user
}

export async function findUserById(deps: CoreDependencies, userId: string): Promise<User> {
  const user = await deps.users.findById(userId)
  if (!user) throw new NotFoundError('No such user.', { detail: `no user with id ${userId}` })
  return user
}

/** Resolves an email to a user, for operators who know accounts by email. */
export async function findUserByEmail(deps: CoreDependencies, email: string): Promise<User> {
  const user = await deps.users.findByEmail(normaliseEmail(email))
  if (!user) throw new NotFoundError('no user with that email')
  return user
}
