import { pino, type DestinationStream, type Logger } from 'pino'

/**
 * Defence in depth: request bodies and headers are never logged on purpose, and these paths are
 * redacted anyway in case one is ever attached to a log line by mistake.
 */
const SECRET_KEYS = [
  'password',
  'passwordHash',
  'refresh_token',
  'refreshToken',
  'access_token',
  'accessToken',
  'token',
  'client_secret',
  'clientSecret',
  'secret',
  'authorization',
  'privateKey',
  'privateJwk',
  'keyEncryptionKey',
  'refreshTokenKey',
]

export const REDACTED_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
]

const CENSOR = '[redacted]'

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: CENSOR }, base: { service: 'latch' } }, destination)
}

/** A line of only strings and numbers: no value is an object. */
export type FlatLine = Record<string, string | number>

/**
 * A child of `logger` for flat lines (the one request line per request), writing the same bytes
 * to the same destination for less. The wildcard paths of REDACTED_PATHS (`*.password`, …) need
 * an object one level down, so they can never match a flat line, yet pino runs them over every
 * key of every line (~12 µs a line, measured). The child keeps every other path, so a secret
 * under a top-level key is still censored. Anything that may hold an object (an error, a
 * structure) goes to `logger` itself.
 */
export function flatLineLogger(logger: Logger): { info(line: FlatLine, message: string): void; error(line: FlatLine, message: string): void } {
  return logger.child({}, { redact: { paths: REDACTED_PATHS.filter((path) => !path.startsWith('*.')), censor: CENSOR } })
}

export type { Logger }
