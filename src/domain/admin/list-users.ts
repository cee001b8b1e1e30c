import type { CoreDependencies } from '../dependencies.js'
import type { User } from '../ports.js'
import { normaliseEmail } from '../users/email.js'
import { readPage, type Page, type PageRequest } from './paging.js'

export interface UserListRequest extends PageRequest {
  /** A piece of the email, any case; empty or absent lists everyone. */
  query?: string | undefined
}

/** Lists users newest first, optionally those whose email contains `query`. */
export async function listUsers(deps: CoreDependencies, request: UserListRequest): Promise<Page<User>> {
  // Stored emails are normalised (lower-cased), so normalising the query makes the match case-insensitive.
  const emailContains = request.query ? normaliseEmail(request.query) || null : null
  return readPage(
    request,
    'string',
    ({ after, limit }) => deps.users.list({ emailContains, after, limit }),
    (user) => ({ createdAt: user.createdAt, id: user.id }),
  )
}
