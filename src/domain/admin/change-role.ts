import type { CoreDependencies } from '../dependencies.js'
import { NotFoundError } from '../errors.js'
import type { RequestContext, Role, User } from '../ports.js'

export interface RoleChange {
  userId: string
  role: Role
  /** Demote even the last unlocked admin (otherwise LastAdminError). */
  force?: boolean | undefined
}

/**
 * Gives a user another role, effective at the next request: admin endpoints read the role live,
 * and access tokens carry none, so nothing needs revoking. Recorded as `role_changed` with
 * `{from, to}`; setting the current role again changes and records nothing.
 */
export async function changeRole(deps: CoreDependencies, input: RoleChange, context: RequestContext): Promise<User> {
  const force = input.force ?? false
  const user = await deps.users.setRole({
    userId: input.userId,
    role: input.role,
    force,
    audit: { type: 'role_changed', context, userId: input.userId, ...(force ? { detail: { force } } : {}) },
    at: deps.clock.now(),
  })
  if (!user) throw new NotFoundError('No such user.', { detail: `no user with id ${input.userId}` })
  return user
}
