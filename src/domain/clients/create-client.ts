import { randomUUID } from 'node:crypto'
import type { CoreDependencies } from '../dependencies.js'
import type { Client, ClientType, RequestContext } from '../ports.js'
import { InvalidRequestError } from '../errors.js'
import { checkAudience, checkClientName, checkOrigins, checkScope, checkWebhookUrl } from './client-rules.js'
import { mintClientSecret } from './client-secrets.js'

export interface NewClient {
  name: string
  type: ClientType
  /** Defaults to Latch's own audience (LATCH_AUDIENCE). */
  audience?: string
  /** Defaults to the first-party scope (LATCH_SCOPE). */
  scope?: string
  allowedOrigins?: string[]
  /** Confidential clients (edges) only: push the revocation feed to this URL (docs/revocation-feed.md). */
  webhookUrl?: string
}

export interface CreatedClient {
  client: Client
  /** The confidential client's secret, returned this once and never stored; null for public clients. */
  secret: string | null
}

/** Registers an OAuth client, with its `client_created` audit record (and its webhook) in the same transaction. */
export async function createClient(deps: CoreDependencies, input: NewClient, context: RequestContext): Promise<CreatedClient> {
  if (input.webhookUrl !== undefined && input.type !== 'confidential') {
    throw new InvalidRequestError('webhook: only confidential clients (edges) read the revocation feed')
  }
  const webhook = input.webhookUrl === undefined ? undefined : { url: checkWebhookUrl(input.webhookUrl) }
  const minted = input.type === 'confidential' ? mintClientSecret() : null
  const client: Client = {
    id: randomUUID(),
    name: checkClientName(input.name),
    type: input.type,
    secretHash: minted?.hash ?? null,
    allowedOrigins: checkOrigins(input.allowedOrigins ?? []),
    scope: checkScope(input.scope ?? deps.settings.scope),
    audience: checkAudience(input.audience ?? deps.settings.audience),
    createdAt: deps.clock.now(),
    disabledAt: null,
  }
  // The origin only: a receiver may have put a secret of its own in the path or query.
  const detail = { ...clientFacts(client), ...(webhook ? { webhookOrigin: new URL(webhook.url).origin } : {}) }
  await deps.clients.create(client, { type: 'client_created', context, userId: null, detail }, webhook)
  return { client, secret: minted?.secret ?? null }
}

/** What the audit trail keeps about a client: never its secret or the secret's hash. */
export function clientFacts(client: Client): Record<string, string> {
  return { clientId: client.id, name: client.name, type: client.type, audience: client.audience, scope: client.scope }
}
