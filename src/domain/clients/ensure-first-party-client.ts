import type { CoreDependencies } from '../dependencies.js'
import type { Client } from '../ports.js'
import { clientFacts } from './create-client.js'

/**
 * Makes the configured first-party client (LATCH_CLIENT_ID, public, LATCH_AUDIENCE, LATCH_SCOPE)
 * exist, as every start does. Configuration is its source of truth: a changed audience or scope is
 * carried over to the stored client, so introspection keeps accepting the tokens /login issues.
 */
export async function ensureFirstPartyClient(deps: CoreDependencies): Promise<void> {
  const { settings, clock } = deps
  const client: Client = {
    id: settings.clientId,
    name: 'First-party app (LATCH_CLIENT_ID)',
    type: 'public',
    secretHash: null,
    allowedOrigins: [],
    scope: settings.scope,
    audience: settings.audience,
    createdAt: clock.now(),
    disabledAt: null,
  }
  // Nobody acts here: the server creates it from its configuration.
  const context = { actorId: null, ip: null, userAgent: null }
  await deps.clients.ensure(client, { type: 'client_created', context, userId: null, detail: { ...clientFacts(client), source: 'configuration' } })
}
