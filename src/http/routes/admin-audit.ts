import { z } from 'zod'
import type { Core } from '../../domain/core.js'
import { AUDIT_EVENT_TYPES, type AuditEntry } from '../../domain/ports.js'
import { parseInput } from '../errors.js'
import type { OperationSpecs } from '../openapi.js'
import { adminErrors, adminRoutes, pageBody, pageSchema, PagingQuery, uuidIn } from './admin-shared.js'

const AuditQuery = z.strictObject({
  user_id: uuidIn('must be a user id (UUID)').optional().describe('only events about this user'),
  type: z.enum(AUDIT_EVENT_TYPES, { error: 'is not a known event type' }).optional().describe('only events of this type'),
  ...PagingQuery,
})

const nullableString = { type: ['string', 'null'] }
const AuditEventBody = {
  type: 'object',
  required: ['id', 'type', 'actor_id', 'user_id', 'ip', 'user_agent', 'detail', 'created_at'],
  properties: {
    id: { type: 'integer' },
    type: { type: 'string', description: `one of ${AUDIT_EVENT_TYPES.join(', ')}` },
    actor_id: { ...nullableString, description: 'who acted: a user id, client:<client_id>, cli, or null' },
    user_id: { ...nullableString, description: 'whom the event is about' },
    ip: nullableString,
    user_agent: nullableString,
    detail: { type: 'object', description: 'event-specific facts; never secrets' },
    created_at: { type: 'string', format: 'date-time' },
  },
}

export const adminAuditOperations: OperationSpecs = {
  'GET /admin/audit': {
    summary: 'Read the audit trail newest first, by user and event type (keyset paging)',
    tag: 'admin',
    security: 'admin',
    query: AuditQuery,
    responses: { 200: { description: 'One page of events', schema: pageSchema(AuditEventBody) }, ...adminErrors },
  },
}

export function adminAuditRoutes(core: Core) {
  const router = adminRoutes()

  router.get('/audit', async (ctx) => {
    const { user_id: userId, ...query } = parseInput(AuditQuery, ctx.query)
    ctx.body = pageBody(await core.listAuditEvents({ ...query, userId }), auditEventView)
  })

  return router
}

export function auditEventView(entry: AuditEntry) {
  return {
    id: entry.id,
    type: entry.type,
    actor_id: entry.actorId,
    user_id: entry.userId,
    ip: entry.ip,
    user_agent: entry.userAgent,
    detail: entry.detail,
    created_at: entry.createdAt.toISOString(),
  }
}
