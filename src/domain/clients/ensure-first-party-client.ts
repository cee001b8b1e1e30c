import type { CoreDependencies } from '../dependencies.js'
import type { Client } from '../ports.js'
import { clientFacts } from './create-client.js'

/** LATCH_CLIENT_ID names a client that cannot be the first-party one: Latch refuses to start. */
export class FirstPartyClientConflictError extends Error {
  override name = 'FirstPartyClientConflictError'
}

/**
 * Makes the configured first-party client (LATCH_CLIENT_ID, public, LATCH_AUDIENCE, LATCH_SCOPE)
 * exist, as every start does. Configuration is its source of truth: a changed audience or scope is
 * carried over to the stored client (audited as client_updated), so introspection keeps accepting
 * the tokens /login issues. A registered confidential client is never turned into it: its secret
 * and its role as a resource server would silently change, so that is refused.
 *
 * @throws FirstPartyClientConflictError when LATCH_CLIENT_ID is a confidential client's id.
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
  const created = { type: 'client_created', context, userId: null, detail: { ...clientFacts(client), source: 'configuration' } } as const
  if (await deps.clients.insertIfMissing(client, created)) return

  const stored = await deps.clients.findById(client.id)
  if (!stored) return ensureFirstPartyClient(deps) // removed between the two statements: insert again
  if (stored.type !== 'public') {
    throw new FirstPartyClientConflictError(
      `LATCH_CLIENT_ID ${JSON.stringify(client.id)} is a registered confidential client, and the first-party client must be public: set LATCH_CLIENT_ID to another id`,
    )
  }
  if (stored.scope === client.scope && stored.audience === client.audience) return
  const detail = {
    clientId: client.id,
    source: 'configuration',
    fromAudience: stored.audience,
    toAudience: client.audience,
    fromScope: stored.scope,
    toScope: client.scope,
  }
  await deps.clients.realign({
    id: client.id,
    from: { scope: stored.scope, audience: stored.audience },
    to: { scope: client.scope, audience: client.audience },
    audit: { type: 'client_updated', context, userId: null, detail },
    at: clock.now(),
  })
}
