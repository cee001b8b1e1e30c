import type { CoreDependencies } from '../dependencies.js'
import { InvalidClientError, UnauthorizedClientError } from '../errors.js'
import type { Client } from '../ports.js'

/** What a session takes from its client, fixed for the session's life like a grant. */
export interface SessionClient {
  id: string
  scope: string
  audience: string
}

/**
 * Only public clients hold sessions. Latch's confidential clients are resource servers: they
 * introspect and revoke tokens but never log a user in, so no refresh token is ever theirs, and
 * the refresh grant is one they are not authorized for (RFC 6749 section 5.2, unauthorized_client).
 */
export function assertMayHoldSessions(client: Pick<Client, 'id' | 'type'>): void {
  if (client.type !== 'public') throw new UnauthorizedClientError(`confidential client ${client.id} cannot hold sessions`)
}

/**
 * The client a /login session is started for: the configured first-party client when none is
 * named, otherwise the registered public client named by client_id, with its scope and audience.
 */
export async function loginClient(deps: CoreDependencies, clientId: string | undefined): Promise<SessionClient> {
  const { settings } = deps
  if (clientId === undefined) return { id: settings.clientId, scope: settings.scope, audience: settings.audience }
  const client = await deps.clients.findById(clientId)
  if (!client || client.disabledAt) throw new InvalidClientError(`login: client ${JSON.stringify(clientId.slice(0, 64))} is unknown or disabled`)
  assertMayHoldSessions(client)
  return { id: client.id, scope: client.scope, audience: client.audience }
}
