/**
 * `Authorization: Basic` for client_secret_basic as RFC 6749 section 2.3.1 has it: the client id
 * and the secret are each application/x-www-form-urlencoded before they are joined by a colon and
 * base64-encoded (so a colon, a plus or a non-ASCII character in either survives the trip).
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`, 'utf8').toString('base64')}`
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2)
}
