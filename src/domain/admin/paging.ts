import { InvalidRequestError } from '../errors.js'
import type { ListPosition } from '../ports.js'

export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 100

/** One page of a newest-first listing; `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface PageRequest {
  /** 1 to MAX_PAGE_SIZE; DEFAULT_PAGE_SIZE when absent. */
  limit?: number | undefined
  /** The `nextCursor` of the previous page; absent for the first. */
  cursor?: string | undefined
}

type IdKind = 'string' | 'number'
type IdOf<K extends IdKind> = K extends 'string' ? string : number

/**
 * Reads one page: asks the store for one row more than the page holds, so the last page is known
 * to be the last without a count. The cursor is the (createdAt, id) of the page's last item,
 * opaque to clients: base64url of the JSON `[milliseconds, id]`.
 */
export async function readPage<T, K extends IdKind>(
  request: PageRequest,
  idKind: K,
  fetch: (query: { after: ListPosition<IdOf<K>> | null; limit: number }) => Promise<T[]>,
  positionOf: (item: T) => ListPosition<IdOf<K>>,
): Promise<Page<T>> {
  const limit = pageSize(request.limit)
  const after = request.cursor === undefined ? null : decodeCursor(request.cursor, idKind)
  const rows = await fetch({ after, limit: limit + 1 })
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(positionOf(last)) : null }
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new InvalidRequestError(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
  }
  return limit
}

export function encodeCursor(position: ListPosition<string | number>): string {
  return Buffer.from(JSON.stringify([position.createdAt.getTime(), position.id])).toString('base64url')
}

const INVALID_CURSOR = 'cursor is not one this server issued'

/**
 * What a stored position can be, so a forged cursor is refused here rather than by the database:
 * instants from year 1 to 9999 (PostgreSQL's timestamp has no year 0, and rows are created now),
 * numeric ids those of a PostgreSQL integer column that starts at 1, string ids without control
 * characters.
 */
const EARLIEST = -62_135_596_800_000 // 0001-01-01T00:00:00.000Z
const LATEST = 253_402_300_799_999 // 9999-12-31T23:59:59.999Z
const MAX_INT4 = 2_147_483_647

/** Accepts exactly what encodeCursor produces; anything else is the client's mistake, a 400. */
export function decodeCursor<K extends IdKind>(cursor: string, idKind: K): ListPosition<IdOf<K>> {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw new InvalidRequestError(INVALID_CURSOR)
  let decoded: unknown
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw new InvalidRequestError(INVALID_CURSOR)
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw new InvalidRequestError(INVALID_CURSOR)
  const [millis, id] = decoded as [unknown, unknown]
  const validId =
    idKind === 'string'
      ? typeof id === 'string' && /^[^\u0000-\u001f\u007f-\u009f]{1,64}$/.test(id)
      : Number.isSafeInteger(id) && (id as number) >= 1 && (id as number) <= MAX_INT4
  const validMillis = Number.isSafeInteger(millis) && (millis as number) >= EARLIEST && (millis as number) <= LATEST
  if (!validMillis || !validId) throw new InvalidRequestError(INVALID_CURSOR)
  return { createdAt: new Date(millis as number), id: id as IdOf<K> }
}
