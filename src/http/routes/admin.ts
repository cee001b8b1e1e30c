import Router from '@koa/router'
import { z } from 'zod'
import type { Core } from '../../domain/core.js'
import type { User } from '../../domain/ports.js'
import { parseInput } from '../errors.js'
import type { OperationSpecs } from '../openapi.js'
import { requireAccessToken, requireAdmin, type AuthenticatedState } from '../middleware/authenticate.js'
import { jsonBody } from '../middleware/json-body.js'
import { requestContext } from '../request-context.js'

const UserId = z.uuid({ error: 'user id must be a UUID' })
const LockInput = z.strictObject({
  reason: z.string({ error: 'is required' }).trim().min(1, { error: 'is required' }).max(500, { error: 'must be at most 500 characters' }),
})

const AdminUserBody = {
  type: 'object',
  required: ['id', 'email', 'role', 'locked_at', 'lock_reason'],
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    role: { enum: ['user', 'admin'] },
    locked_at: { type: ['string', 'null'], format: 'date-time' },
    lock_reason: { type: ['string', 'null'] },
  },
}

export const adminOperations: OperationSpecs = {
  'POST /admin/users/:id/lock': {
    summary: 'Lock an account: no login, no refresh, every session revoked, atomically',
    tag: 'admin',
    security: 'admin',
    body: { schema: LockInput },
    responses: { 200: { description: 'The locked user', schema: AdminUserBody }, 400: 'invalid_request', 401: 'invalid_token', 403: 'forbidden', 404: 'not_found' },
  },
  'POST /admin/users/:id/unlock': {
    summary: 'Unlock an account (its old sessions stay revoked)',
    tag: 'admin',
    security: 'admin',
    responses: { 200: { description: 'The unlocked user', schema: AdminUserBody }, 400: 'invalid_request', 401: 'invalid_token', 403: 'forbidden', 404: 'not_found' },
  },
}

export function adminRoutes(core: Core, options: { bodyLimit: number }): Router<AuthenticatedState> {
  const router = new Router<AuthenticatedState>({ prefix: '/admin' })
  router.use(requireAccessToken(core), requireAdmin())

  router.post('/users/:id/lock', jsonBody(options.bodyLimit), async (ctx) => {
    const userId = parseInput(UserId, ctx.params.id)
    const { reason } = parseInput(LockInput, ctx.request.body)
    ctx.body = adminView(await core.lockUser({ userId, reason }, requestContext(ctx)))
  })

  router.post('/users/:id/unlock', async (ctx) => {
    const userId = parseInput(UserId, ctx.params.id)
    ctx.body = adminView(await core.unlockUser({ userId }, requestContext(ctx)))
  })

  return router
}

function adminView(user: User) {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    locked_at: user.lockedAt?.toISOString() ?? null,
    lock_reason: user.lockReason,
  }
}
