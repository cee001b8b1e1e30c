import { InvalidScopeError } from '../errors.js'

/** RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), joined by single spaces. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/** The tokens of a scope string, or null when it is not a well-formed scope. The empty scope has none. */
export function parseScope(scope: string): string[] | null {
  if (scope === '') return []
  const tokens = scope.split(' ')
  return tokens.every((token) => SCOPE_TOKEN.test(token)) ? [...new Set(tokens)] : null
}

/**
 * The scope of an access token issued on a refresh: the session's whole grant, or the narrower
 * scope the client asked for. Asking for anything not granted is invalid_scope (RFC 6749 section 6).
 */
export function narrowScope(granted: string, requested: string | undefined): string {
  if (requested === undefined) return granted
  const grantedTokens = new Set(parseScope(granted) ?? [])
  const requestedTokens = parseScope(requested)
  if (!requestedTokens || requestedTokens.length === 0) throw new InvalidScopeError('refresh: malformed or empty scope requested')
  const excess = requestedTokens.filter((token) => !grantedTokens.has(token))
  if (excess.length > 0) throw new InvalidScopeError(`refresh: scope ${excess.join(' ')} was not granted to the session`)
  return requestedTokens.join(' ')
}
