import type { Core } from '../../domain/core.js'
import { parseInput } from '../errors.js'
import type { OperationSpecs } from '../openapi.js'
import { requestContext } from '../request-context.js'
import { adminErrors, adminRoutes, UserId, uuidIn } from './admin-shared.js'

const SessionId = uuidIn('session id must be a UUID')

export const adminSessionOperations: OperationSpecs = {
  'POST /admin/users/:id/sessions/:sessionId/revoke': {
    summary: "Revoke one of the user's sessions at once (idempotent)",
    tag: 'admin',
    security: 'admin',
    responses: { 204: 'Revoked (or already revoked)', ...adminErrors, 404: 'not_found: no such session for this user' },
  },
  'POST /admin/users/:id/logout-all': {
    summary: "End every session of the user and bump its refreshTokenVersion, as the user's own /logout-all",
    tag: 'admin',
    security: 'admin',
    responses: { 204: 'Logged out everywhere', ...adminErrors, 404: 'not_found' },
  },
}

export function adminSessionRoutes(core: Core) {
  const router = adminRoutes()

  router.post('/users/:id/sessions/:sessionId/revoke', async (ctx) => {
    const userId = parseInput(UserId, ctx.params.id)
    const sessionId = parseInput(SessionId, ctx.params.sessionId)
    await core.revokeUserSession({ userId, sessionId }, requestContext(ctx))
    ctx.status = 204
  })

  router.post('/users/:id/logout-all', async (ctx) => {
    const userId = parseInput(UserId, ctx.params.id)
    await core.logoutUserEverywhere({ userId }, requestContext(ctx))
    ctx.status = 204
  })

  return router
}
