import { InvalidRequestError } from '../errors.js'
import { parseScope } from '../sessions/scope.js'

/**
 * What a client registration must satisfy. Checked in the domain, so the CLI and any future
 * admin endpoint refuse the same things with the same words.
 */
export function checkClientName(name: string): string {
  const trimmed = name.trim()
  if (trimmed.length < 1 || trimmed.length > 100) throw new InvalidRequestError('name: must be 1 to 100 characters')
  return trimmed
}

/** An audience is compared byte for byte with the token's `aud`, so no surrounding spaces. */
export function checkAudience(audience: string): string {
  if (!/^\S{1,256}$/.test(audience)) throw new InvalidRequestError('audience: must be 1 to 256 characters without spaces')
  return audience
}

export function checkScope(scope: string): string {
  const tokens = scope.length <= 1024 ? parseScope(scope) : null
  if (!tokens) throw new InvalidRequestError('scope: must be space-separated scope tokens (RFC 6749 section 3.3), at most 1024 characters')
  return tokens.join(' ')
}

/** Origins are matched exactly against the Origin header, so only the canonical form is accepted. */
export function checkOrigins(origins: readonly string[]): string[] {
  const wrong = origins.find((origin) => !isExactOrigin(origin))
  if (wrong !== undefined) {
    throw new InvalidRequestError(`origin: ${JSON.stringify(wrong.slice(0, 100))} is not an exact origin such as https://app.example.com`)
  }
  return [...new Set(origins)]
}

function isExactOrigin(origin: string): boolean {
  try {
    const url = new URL(origin)
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === origin
  } catch {
    return false
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Where revocation SETs are pushed. HTTPS, since the receiver acts on what arrives (the SETs are
 * signed, but an eavesdropper would still learn who is revoked), except to a receiver on this
 * machine. No credentials in the URL: they would sit in the database in clear.
 */
export function checkWebhookUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new InvalidRequestError('webhook: must be an absolute https:// URL')
  }
  const secure = parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname))
  if (!secure) throw new InvalidRequestError('webhook: must be an https:// URL (http:// only to localhost)')
  if (parsed.username || parsed.password) throw new InvalidRequestError('webhook: must not carry credentials')
  if (url.length > 2048) throw new InvalidRequestError('webhook: must be at most 2048 characters')
  return parsed.toString()
}
