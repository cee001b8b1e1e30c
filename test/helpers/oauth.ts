import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import type { NewClient } from '../../src/domain/clients/create-client.js'
import { PASSWORD, uniqueEmail, type LoggedIn, type Response, type TestLatch } from './latch.js'

/** Helpers for the OAuth endpoints: form posts, client credentials, clients and their sessions. */

export const FORM = 'application/x-www-form-urlencoded'

export function postForm(server: TestLatch, path: string, parameters: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return server.request('POST', path, { body: new URLSearchParams(parameters).toString(), headers: { 'content-type': FORM, ...headers } })
}

/** HTTP Basic as RFC 6749 section 2.3.1 has it: id and secret each form-urlencoded first. */
export function basic(clientId: string, secret: string): Record<string, string> {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2)
  return { authorization: `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}` }
}

export interface RegisteredClient {
  clientId: string
  secret: string | null
  audience: string
  scope: string
}

let counter = 0

/** Registers a client through the domain, as the CLI does. */
export async function registerClient(server: TestLatch, input: Partial<NewClient> & Pick<NewClient, 'type'>): Promise<RegisteredClient> {
  counter += 1
  const { client, secret } = await server.latch.core.createClient({ name: `test client ${counter}`, ...input }, OPERATOR_CONTEXT)
  return { clientId: client.id, secret, audience: client.audience, scope: client.scope }
}

/** Registers a user and logs in over HTTP for the given public client. */
export async function loginForClient(server: TestLatch, clientId: string, email = uniqueEmail()): Promise<LoggedIn> {
  const registered = await server.post('/register', { email, password: PASSWORD })
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${registered.text}`)
  const response = await server.post('/login', { email, password: PASSWORD, client_id: clientId })
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${response.text}`)
  return { email, userId: registered.body.id, accessToken: response.body.access_token, refreshToken: response.body.refresh_token }
}
