/**
 * Emails are compared case-insensitively: "Ada@Example.com" and "ada@example.com" are one
 * account. NFC normalisation keeps visually identical Unicode addresses from splitting too.
 */
export function normaliseEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase()
}
