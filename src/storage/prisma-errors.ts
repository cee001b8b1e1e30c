import { ServiceUnavailableError } from '../domain/errors.js'
import { Prisma } from './generated/postgresql/client.js'

/**
 * "Unique constraint failed": from a Prisma model query (P2002) or a raw one (P2010 wrapping the
 * driver's error), or from a statement of direct-sql.ts, which sees the adapter's own
 * DriverAdapterError (PostgreSQL) or better-sqlite3's SqliteError.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (hasCode(error, 'P2002')) return true
  const driverError = (error as { meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } })?.meta?.driverAdapterError
  if (hasCode(error, 'P2010') && driverError?.cause?.kind === 'UniqueConstraintViolation') return true
  if (isDriverAdapterError(error) && error.cause.kind === 'UniqueConstraintViolation') return true
  const code = (error as { code?: unknown } | null)?.code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/** Prisma's "record to update not found". */
export function isRecordNotFound(error: unknown): boolean {
  return hasCode(error, 'P2025')
}

// Node's socket errors and PostgreSQL's "the server is going away" SQLSTATEs: the database is
// down or restarting, not the request at fault.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300',
  'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_FULL',
])

// What a driver adapter calls an unreachable database in the errors it throws itself (the
// statements of direct-sql.ts see them without Prisma's P10xx wrapping).
const UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'DatabaseDoesNotExist', 'TlsConnectionError'])

/** True when the error means the database cannot be reached right now, so 503 is the honest answer. */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientInitializationError) return true
  if (error instanceof Prisma.PrismaClientKnownRequestError && /^P10\d\d$/.test(error.code)) return true
  for (let cause: unknown = error, depth = 0; cause && depth < 6; depth++) {
    if (isDriverAdapterError(cause) && typeof cause.cause.kind === 'string' && UNAVAILABLE_KINDS.has(cause.cause.kind)) return true
    const { code, originalCode } = cause as { code?: unknown; originalCode?: unknown }
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true
    if (typeof originalCode === 'string' && UNAVAILABLE_CODES.has(originalCode)) return true
    const message = (cause as { message?: unknown }).message
    if (typeof message === 'string' && /connection terminated|connect ECONNREFUSED|Connection terminated|timeout exceeded when trying to connect|database is locked/i.test(message)) return true
    const meta = (cause as { meta?: { driverAdapterError?: unknown } }).meta
    cause = meta?.driverAdapterError ?? (cause as { cause?: unknown }).cause
  }
  return false
}

/**
 * Wraps every method of a store so that an unreachable database surfaces as the domain's
 * ServiceUnavailableError. Other errors pass through untouched: they are bugs, not outages.
 */
export function translateUnavailable<T extends object>(store: T): T {
  const wrapped: Record<string, unknown> = {}
  for (const [name, method] of Object.entries(store)) {
    wrapped[name] =
      typeof method === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await method.apply(store, args)
            } catch (error) {
              if (isUnavailable(error)) throw new ServiceUnavailableError(`storage: ${describe(error)}`, { cause: error })
              throw error
            }
          }
        : method
  }
  return wrapped as T
}

/** The error class of @prisma/driver-adapter-utils, recognised as the Prisma client does (by name and cause). */
function isDriverAdapterError(error: unknown): error is Error & { cause: { kind?: unknown } } {
  return error instanceof Error && error.name === 'DriverAdapterError' && typeof error.cause === 'object' && error.cause !== null
}

function hasCode(error: unknown, code: string): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === code
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error)
}
