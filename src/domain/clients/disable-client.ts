import type { CoreDependencies } from '../dependencies.js'
import { InvalidRequestError, NotFoundError } from '../errors.js'
import type { RequestContext } from '../ports.js'

/**
 * Disables a client: it can no longer authenticate (token, revocation, introspection, the event
 * feed) and its sessions can no longer refresh, so nothing it holds outlives one access-token
 * lifetime. The first-party client is Latch's own configuration (LATCH_CLIENT_ID): change that
 * instead. Disabling twice is not an error; an unknown client is.
 */
export async function disableClient(deps: CoreDependencies, input: { clientId: string }, context: RequestContext): Promise<{ disabled: boolean }> {
  if (input.clientId === deps.settings.clientId) {
    throw new InvalidRequestError(`client ${input.clientId} is the first-party client (LATCH_CLIENT_ID); configure another one instead of disabling it`)
  }
  const client = await deps.clients.findById(input.clientId)
  if (!client) throw new NotFoundError('No such client.')
  const disabled = await deps.clients.disable({
    clientId: client.id,
    audit: { type: 'client_disabled', context, userId: null, detail: { clientId: client.id, name: client.name, type: client.type } },
    at: deps.clock.now(),
  })
  return { disabled }
}
