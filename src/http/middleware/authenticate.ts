import type { Middleware } from 'koa'
import type { Core } from '../../domain/core.js'
import { ForbiddenError, InvalidTokenError } from '../../domain/errors.js'
import type { Principal } from '../../domain/sessions/authenticate.js'

export interface AuthenticatedState {
  principal: Principal
}

const BEARER = /^Bearer[ ]+([A-Za-z0-9\-_.~+/]+=*)$/i

/** Requires `Authorization: Bearer <access token>` (RFC 6750) backed by live state. */
export function requireAccessToken(core: Core): Middleware<AuthenticatedState> {
  return async (ctx, next) => {
    const match = BEARER.exec(ctx.get('Authorization'))
    if (!match) throw new InvalidTokenError('missing or malformed Authorization header')
    ctx.state.principal = await core.authenticate(match[1]!)
    await next()
  }
}

/** Requires the authenticated user to hold the admin role, as stored now (not as claimed in a token). */
export function requireAdmin(): Middleware<AuthenticatedState> {
  return async (ctx, next) => {
    if (ctx.state.principal.user.role !== 'admin') throw new ForbiddenError('This action requires the admin role.')
    await next()
  }
}
