import { InvalidRequestError, ServiceUnavailableError } from '../domain/errors.js'
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
  // A transaction that could not get a connection in time, or outlived its time waiting: overload.
  if (hasCode(error, 'P2028') && /in the given time|expired transaction|timeout/i.test((error as Error).message)) return true
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

// PostgreSQL's "this value is not valid input" SQLSTATEs: a string too long for its column
// (22001), a number out of range (22003), a malformed or out-of-range date (22007, 22008), a byte
// sequence the encoding refuses, such as NUL in text (22021), a value that does not parse as the
// column's type (22P02), a character without an equivalent in the encoding (22P05).
const INVALID_INPUT_CODES = new Set(['22001', '22003', '22007', '22008', '22021', '22P02', '22P05'])

/**
 * The SQLSTATE when the database refused a value of the request as input; null otherwise. The HTTP
 * schemas refuse such values first; this is the defence in depth for any they let through.
 */
export function invalidInputCode(error: unknown): string | null {
  for (let cause: unknown = error, depth = 0; cause && depth < 6; depth++) {
    // The PostgreSQL adapter keeps the SQLSTATE as originalCode, and as code for codes it does not name.
    const { originalCode, code } = cause as { originalCode?: unknown; code?: unknown }
    for (const candidate of [originalCode, code]) {
      if (typeof candidate === 'string' && INVALID_INPUT_CODES.has(candidate)) return candidate
    }
    const meta = (cause as { meta?: { driverAdapterError?: unknown } }).meta
    cause = meta?.driverAdapterError ?? (cause as { cause?: unknown }).cause
  }
  return null
}

/**
 * Wraps every method of a store so that an unreachable database surfaces as the domain's
 * ServiceUnavailableError, and a value the database refuses as input as InvalidRequestError (a
 * 400, not a 500). Other errors pass through untouched: they are bugs, not outages.
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
              const invalid = invalidInputCode(error)
              // Only the SQLSTATE is kept: the database's message can quote the value.
              if (invalid) throw new InvalidRequestError('The request contains a value that cannot be stored or searched for.', { detail: `storage refused an input value (SQLSTATE ${invalid})` })
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
