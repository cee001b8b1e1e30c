import Router from '@koa/router'
import type { Core } from '../../domain/core.js'
import { requireAccessToken, type AuthenticatedState } from '../middleware/authenticate.js'

export function meRoutes(core: Core): Router<AuthenticatedState> {
  const router = new Router<AuthenticatedState>()

  router.get('/me', requireAccessToken(core), (ctx) => {
    const { id, email, role } = ctx.state.principal.user
    ctx.set('Cache-Control', 'no-store')
    ctx.body = { id, email, role }
  })

  return router
}
