import type { Context } from 'koa'
import type { RequestContext } from '../domain/ports.js'
import type { AuthenticatedState } from './middleware/authenticate.js'
import type { ClientState } from './middleware/client-authentication.js'

/** Who is asking and from where, as the domain records it; never the request itself. */
export function requestContext(ctx: Context): RequestContext {
  const principal = (ctx.state as Partial<AuthenticatedState>).principal
  const client = (ctx.state as Partial<ClientState>).client
  return {
    actorId: principal?.user.id ?? (client ? `client:${client.id}` : null),
    ip: ctx.ip || null,
    userAgent: ctx.get('User-Agent').slice(0, 512) || null,
  }
}
