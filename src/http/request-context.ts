import type { Context } from 'koa'
import type { RequestContext } from '../domain/ports.js'
import type { AuthenticatedState } from './middleware/authenticate.js'
import type { ClientState } from './middleware/client-authentication.js'

/**
 * Who is asking and from where, as the domain records it; never the request itself. The address
 * and user agent are read when first asked for: most requests (every successful refresh) record
 * nothing, and Koa's `ctx.ip` parses X-Forwarded-For each time it is read.
 */
export function requestContext(ctx: Context): RequestContext {
  const principal = (ctx.state as Partial<AuthenticatedState>).principal
  const client = (ctx.state as Partial<ClientState>).client
  let ip: string | null | undefined
  let userAgent: string | null | undefined
  return {
    actorId: principal?.user.id ?? (client ? `client:${client.id}` : null),
    get ip() {
      if (ip === undefined) ip = ctx.ip || null
      return ip
    },
    get userAgent() {
      if (userAgent === undefined) userAgent = ctx.get('User-Agent').slice(0, 512) || null
      return userAgent
    },
  }
}
