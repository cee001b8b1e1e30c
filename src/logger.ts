import { pino, type DestinationStream, type Logger } from 'pino'

/**
 * Defence in depth: request bodies and headers are never logged on purpose, and these paths are
 * redacted anyway in case one is ever attached to a log line by mistake.
 */
export const REDACTED_PATHS = [
  'password',
  'refresh_token',
  'refreshToken',
  'access_token',
  'accessToken',
  'authorization',
  '*.password',
  '*.refresh_token',
  '*.refreshToken',
  '*.access_token',
  '*.accessToken',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
]

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'latch' } }, destination)
}

export type { Logger }
