import type { ListPosition } from '../domain/ports.js'

/**
 * Keyset paging over (createdAt, id), newest first: the rows strictly after `after` in the order
 * `createdAt DESC, id DESC`. The id breaks ties between rows created in the same millisecond, so
 * no row is repeated or skipped at a page boundary.
 */
export function olderThan<Id extends string | number>(after: ListPosition<Id> | null) {
  if (!after) return {}
  return { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }
}

export const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }]
