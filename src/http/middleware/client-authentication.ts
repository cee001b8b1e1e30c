import type { Middleware } from 'koa'
import { z } from 'zod'
import type { ClientCredentials } from '../../domain/clients/authenticate-client.js'
import type { Core } from '../../domain/core.js'
import { InvalidClientError, InvalidRequestError } from '../../domain/errors.js'
import type { Client } from '../../domain/ports.js'
import { parseInput } from '../errors.js'
import { ClientId } from '../routes/inputs.js'

export interface ClientState {
  client: Client
}

export const ClientParameters = z.object({
  client_id: ClientId.optional(),
  client_secret: z.string().max(512, { error: 'must be at most 512 characters' }).optional(),
})

/**
 * Authenticates the calling client (RFC 6749 section 2.3) from a parsed form body: HTTP Basic
 * (client_secret_basic), client_id and client_secret in the body (client_secret_post), or, for a
 * public client, client_id alone. `confidentialOnly` refuses public clients (introspection).
 */
export function requireClient(core: Core, options: { confidentialOnly?: boolean } = {}): Middleware<ClientState> {
  return async (ctx, next) => {
    const credentials = clientCredentials(ctx.get('Authorization'), ctx.request.body)
    ctx.state.client = await core.authenticateClient(credentials, options)
    await next()
  }
}

/**
 * Requires a confidential client authenticated with HTTP Basic: for GET endpoints (the event
 * feed), which have no body to carry client_secret_post.
 */
export function requireBasicClient(core: Core): Middleware<ClientState> {
  return async (ctx, next) => {
    const credentials = clientCredentials(ctx.get('Authorization'), {})
    ctx.state.client = await core.authenticateClient(credentials, { confidentialOnly: true })
    await next()
  }
}

/** Reads how the client presented itself; exported for tests of the parsing rules. */
export function clientCredentials(authorization: string, body: unknown): ClientCredentials {
  const { client_id: clientId, client_secret: secret } = parseInput(ClientParameters, body)
  if (authorization) {
    const basic = parseBasic(authorization)
    // RFC 6749 section 2.3: one authentication method per request.
    if (secret !== undefined) throw new InvalidRequestError('Use one client authentication method: HTTP Basic or client_secret in the body, not both.')
    if (clientId !== undefined && clientId !== basic.clientId) throw new InvalidRequestError('client_id in the body differs from the one in the Authorization header.')
    return { method: 'client_secret_basic', ...basic }
  }
  if (clientId === undefined) throw new InvalidClientError('no client authentication and no client_id')
  return secret === undefined ? { method: 'none', clientId } : { method: 'client_secret_post', clientId, secret }
}

const BASIC = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})$/i

/**
 * HTTP Basic with RFC 6749 section 2.3.1's twist: client_id and client_secret are each
 * form-urlencoded before being joined with a colon, so both are decoded after the split.
 */
function parseBasic(authorization: string): { clientId: string; secret: string } {
  const match = BASIC.exec(authorization)
  if (!match) throw new InvalidClientError('Authorization header is not HTTP Basic')
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) throw new InvalidClientError('HTTP Basic credentials without a colon')
  const clientId = formDecode(decoded.slice(0, colon))
  const secret = formDecode(decoded.slice(colon + 1))
  if (clientId === null || secret === null || !ClientId.safeParse(clientId).success || secret.length > 512) {
    throw new InvalidClientError('HTTP Basic credentials are malformed')
  }
  return { clientId, secret }
}

function formDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return null
  }
}
