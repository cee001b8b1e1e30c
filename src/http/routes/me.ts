import type Router from '@koa/router'
import type { Core } from '../../domain/core.js'
import { UNAVAILABLE, type OperationSpecs } from '../openapi.js'
import { requireAccessToken, type AuthenticatedState } from '../middleware/authenticate.js'
import { createRouter } from '../router.js'

export const meOperations: OperationSpecs = {
  'GET /me': {
    summary: 'The user behind an access token, checked against live state',
    tag: 'sessions',
    security: 'bearer',
    responses: {
      200: {
        description: 'The user',
        schema: { type: 'object', required: ['id', 'email', 'role'], properties: { id: { type: 'string' }, email: { type: 'string' }, role: { enum: ['user', 'admin'] } } },
      },
      401: 'invalid_token',
      ...UNAVAILABLE,
    },
  },
}

export function meRoutes(core: Core): Router<AuthenticatedState> {
  const router = createRouter<AuthenticatedState>()

  router.get('/me', requireAccessToken(core), (ctx) => {
    const { id, email, role } = ctx.state.principal.user
    ctx.set('Cache-Control', 'no-store')
    ctx.body = { id, email, role }
  })

  return router
}
