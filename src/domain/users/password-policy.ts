import { InvalidRequestError } from '../errors.js'

/**
 * NIST SP 800-63B section 5.1.1.2: at least 8 characters, allow at least 64 (we allow 256), count
 * Unicode code points rather than UTF-16 units, and impose no composition rules.
 */
export const PASSWORD_MIN_LENGTH = 8
export const PASSWORD_MAX_LENGTH = 256

export function assertAcceptablePassword(password: string): void {
  const length = [...password.normalize('NFC')].length
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new InvalidRequestError(
      `password must be between ${PASSWORD_MIN_LENGTH} and ${PASSWORD_MAX_LENGTH} characters long`,
    )
  }
}
