import type { CoreDependencies } from '../dependencies.js'
import { InvalidClientError } from '../errors.js'
import type { Client } from '../ports.js'
import { clientSecretMatches, hashClientSecret } from './client-secrets.js'

/**
 * How a client presented itself (RFC 6749 section 2.3): with its secret in HTTP Basic or in the
 * form body, or, for public clients, by naming its client_id only.
 */
export type ClientCredentials =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; secret: string }
  | { method: 'none'; clientId: string }

// Hashed when the client is unknown, so that case costs what a wrong secret costs.
const NO_SECRET_HASH = hashClientSecret('')

/**
 * Authenticates a confidential client by its secret, or identifies a public one by its id. An
 * unknown or disabled client, a wrong or missing secret, and a secret sent for a public client all
 * fail alike with invalid_client; only the private detail says which.
 */
export async function authenticateClient(
  deps: CoreDependencies,
  credentials: ClientCredentials,
  options: { confidentialOnly?: boolean } = {},
): Promise<Client> {
  const client = await deps.clients.findById(credentials.clientId)
  const secretOk = credentials.method === 'none' || clientSecretMatches(credentials.secret, client?.secretHash ?? NO_SECRET_HASH)
  const id = JSON.stringify(credentials.clientId.slice(0, 64))
  if (!client) throw new InvalidClientError(`client ${id} is not registered`)
  if (client.disabledAt) throw new InvalidClientError(`client ${id} is disabled`)
  if (client.type === 'public') {
    if (credentials.method !== 'none') throw new InvalidClientError(`public client ${id} sent a secret`)
    if (options.confidentialOnly) throw new InvalidClientError(`public client ${id} may not call an endpoint for confidential clients`)
    return client
  }
  if (credentials.method === 'none') throw new InvalidClientError(`confidential client ${id} did not authenticate`)
  if (!client.secretHash || !secretOk) throw new InvalidClientError(`wrong secret for client ${id} (${credentials.method})`)
  return client
}
