import type { CoreDependencies } from '../dependencies.js'
import { InvalidRequestError } from '../errors.js'
import { AUDIT_EVENT_TYPES, type AuditEntry, type AuditEventType } from '../ports.js'
import { readPage, type Page, type PageRequest } from './paging.js'

export interface AuditListRequest extends PageRequest {
  userId?: string | undefined
  /** One of AUDIT_EVENT_TYPES; anything else is refused rather than silently matching nothing. */
  type?: string | undefined
}

/** Reads the audit trail newest first, optionally about one user and of one event type. */
export async function listAuditEvents(deps: CoreDependencies, request: AuditListRequest): Promise<Page<AuditEntry>> {
  const type = request.type === undefined ? null : auditEventType(request.type)
  const userId = request.userId ?? null
  return readPage(
    request,
    'number',
    ({ after, limit }) => deps.audit.list({ userId, type, after, limit }),
    (entry) => ({ createdAt: entry.createdAt, id: entry.id }),
  )
}

function auditEventType(type: string): AuditEventType {
  if (!(AUDIT_EVENT_TYPES as readonly string[]).includes(type)) {
    throw new InvalidRequestError(`type must be one of ${AUDIT_EVENT_TYPES.join(', ')}`)
  }
  return type as AuditEventType
}
