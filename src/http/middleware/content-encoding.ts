import type { Context } from 'koa'
import { UnsupportedContentEncodingError } from '../errors.js'

/**
 * Request bodies are taken as sent: a Content-Encoding other than identity (gzip, deflate, br or
 * anything else) is refused with 415 before a byte is decoded (RFC 9110 section 15.5.16), and the
 * answer names the one coding accepted (RFC 7694). Decompressing would let a small body expand
 * far past the body limit's intent, and zlib's errors on a body that only claims to be compressed
 * are not the client's 400 but a crash waiting to happen.
 */
export function refuseContentEncoding(ctx: Context): void {
  const encoding = ctx.get('Content-Encoding').trim().toLowerCase()
  if (encoding === '' || encoding === 'identity') return
  ctx.set('Accept-Encoding', 'identity')
  throw new UnsupportedContentEncodingError(`Content-Encoding ${JSON.stringify(encoding.slice(0, 64))}`)
}
