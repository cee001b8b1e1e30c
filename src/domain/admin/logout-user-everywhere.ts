import type { CoreDependencies } from '../dependencies.js'
import type { RequestContext } from '../ports.js'
import { logoutEverywhere } from '../sessions/logout.js'
import { findUserById } from '../users/accounts.js'

/** An admin's "log this user out of all devices": the user's own logout-all, with the admin as actor. */
export async function logoutUserEverywhere(deps: CoreDependencies, input: { userId: string }, context: RequestContext): Promise<void> {
  // logoutEverywhere expects an existing user (it serves authenticated users); an admin may name any id.
  await findUserById(deps, input.userId)
  await logoutEverywhere(deps, input.userId, context)
}
