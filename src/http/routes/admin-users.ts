import { z } from 'zod'
import type { Core } from '../../domain/core.js'
import type { SessionSummary, User } from '../../domain/ports.js'
import { ROLES } from '../../domain/ports.js'
import { parseInput } from '../errors.js'
import { jsonBody } from '../middleware/json-body.js'
import { JSON_BODY_ERRORS, type OperationSpecs } from '../openapi.js'
import { requestContext } from '../request-context.js'
import { adminErrors, adminRoutes, pageBody, pageSchema, PagingQuery, UserId } from './admin-shared.js'
import { CONTROL_CHARACTERS_ERROR, Email, Password, Text, WITHOUT_CONTROL_CHARACTERS } from './inputs.js'

const Force = z.boolean({ error: 'must be true or false' }).optional()
const LockInput = z.strictObject({
  reason: z
    .string({ error: 'is required' })
    .trim()
    .min(1, { error: 'is required' })
    .max(500, { error: 'must be at most 500 characters' })
    .regex(WITHOUT_CONTROL_CHARACTERS, { error: CONTROL_CHARACTERS_ERROR }),
  force: Force,
})
const RoleInput = z.strictObject({ role: z.enum(ROLES, { error: 'must be user or admin' }), force: Force })
const CreateInput = z.strictObject({ email: Email, password: Password, role: z.enum(ROLES, { error: 'must be user or admin' }).optional() })
const ListQuery = z.strictObject({
  query: Text(254).optional().describe('part of the email, any case'),
  ...PagingQuery,
})

const date = { type: 'string', format: 'date-time' }
const nullableDate = { type: ['string', 'null'], format: 'date-time' }
const AdminUserBody = {
  type: 'object',
  required: ['id', 'email', 'role', 'locked_at', 'lock_reason', 'created_at'],
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    role: { enum: ROLES },
    locked_at: nullableDate,
    lock_reason: { type: ['string', 'null'] },
    created_at: date,
  },
}
const SessionBody = {
  type: 'object',
  required: ['id', 'user_agent', 'ip', 'created_at', 'last_used_at', 'expires_at', 'client_id'],
  properties: {
    id: { type: 'string' },
    user_agent: { type: ['string', 'null'], description: 'the device, as its browser named itself at login' },
    ip: { type: ['string', 'null'] },
    created_at: date,
    last_used_at: { ...date, description: 'last login or refresh; the session ends after LATCH_SESSION_IDLE_TTL without one' },
    expires_at: { ...date, description: 'absolute end of the session, whatever its activity' },
    client_id: { type: 'string' },
  },
}
const UserDetailsBody = {
  ...AdminUserBody,
  required: [...AdminUserBody.required, 'sessions'],
  properties: { ...AdminUserBody.properties, sessions: { type: 'array', items: SessionBody, description: 'active sessions, newest first' } },
}
const user = (description: string) => ({ description, schema: AdminUserBody })
const lastAdmin = 'last_admin: it would leave no unlocked admin (send force: true to proceed)'

export const adminUserOperations: OperationSpecs = {
  'GET /admin/users': {
    summary: 'List users newest first, optionally searching emails (keyset paging)',
    tag: 'admin',
    security: 'admin',
    query: ListQuery,
    responses: { 200: { description: 'One page of users', schema: pageSchema(AdminUserBody) }, ...adminErrors },
  },
  'POST /admin/users': {
    summary: 'Create an account of any role (also while registration is closed)',
    tag: 'admin',
    security: 'admin',
    body: { schema: CreateInput },
    responses: { 201: user('The new user'), ...JSON_BODY_ERRORS, ...adminErrors, 409: 'email_taken' },
  },
  'GET /admin/users/:id': {
    summary: 'A user and their active sessions',
    tag: 'admin',
    security: 'admin',
    responses: { 200: { description: 'The user and active sessions', schema: UserDetailsBody }, ...adminErrors, 404: 'not_found' },
  },
  'POST /admin/users/:id/lock': {
    summary: 'Lock an account: no login, no refresh, every session revoked, atomically',
    tag: 'admin',
    security: 'admin',
    body: { schema: LockInput },
    responses: { 200: user('The locked user'), ...JSON_BODY_ERRORS, ...adminErrors, 404: 'not_found', 409: lastAdmin },
  },
  'POST /admin/users/:id/unlock': {
    summary: 'Unlock an account (its old sessions stay revoked)',
    tag: 'admin',
    security: 'admin',
    responses: { 200: user('The unlocked user'), ...adminErrors, 404: 'not_found' },
  },
  'POST /admin/users/:id/role': {
    summary: 'Set the role (user or admin), effective at the next request',
    tag: 'admin',
    security: 'admin',
    body: { schema: RoleInput },
    responses: { 200: user('The user with the new role'), ...JSON_BODY_ERRORS, ...adminErrors, 404: 'not_found', 409: lastAdmin },
  },
}

export function adminUserRoutes(core: Core, options: { bodyLimit: number }) {
  const router = adminRoutes()
  const body = jsonBody(options.bodyLimit)

  router.get('/users', async (ctx) => {
    const query = parseInput(ListQuery, ctx.query)
    ctx.body = pageBody(await core.listUsers(query), userView)
  })

  router.post('/users', body, async (ctx) => {
    const input = parseInput(CreateInput, ctx.request.body)
    ctx.status = 201
    ctx.body = userView(await core.createUser(input, requestContext(ctx)))
  })

  router.get('/users/:id', async (ctx) => {
    const { user, activeSessions } = await core.getUserDetails(parseInput(UserId, ctx.params.id))
    ctx.body = { ...userView(user), sessions: activeSessions.map(sessionView) }
  })

  router.post('/users/:id/lock', body, async (ctx) => {
    const userId = parseInput(UserId, ctx.params.id)
    const { reason, force } = parseInput(LockInput, ctx.request.body)
    ctx.body = userView(await core.lockUser({ userId, reason, force }, requestContext(ctx)))
  })

  router.post('/users/:id/unlock', async (ctx) => {
    const userId = parseInput(UserId, ctx.params.id)
    ctx.body = userView(await core.unlockUser({ userId }, requestContext(ctx)))
  })

  router.post('/users/:id/role', body, async (ctx) => {
    const userId = parseInput(UserId, ctx.params.id)
    const { role, force } = parseInput(RoleInput, ctx.request.body)
    ctx.body = userView(await core.changeRole({ userId, role, force }, requestContext(ctx)))
  })

  return router
}

export function userView(user: User) {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    locked_at: user.lockedAt?.toISOString() ?? null,
    lock_reason: user.lockReason,
    created_at: user.createdAt.toISOString(),
  }
}

export function sessionView(session: SessionSummary) {
  return {
    id: session.id,
    user_agent: session.userAgent,
    ip: session.ip,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastUsedAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    client_id: session.clientId,
  }
}
