import type Router from '@koa/router'
import type { KeyRingSource } from '../../domain/tokens/key-ring-source.js'
import type { OperationSpecs } from '../openapi.js'
import { createRouter } from '../router.js'

export const jwksOperations: OperationSpecs = {
  'GET /.well-known/jwks.json': {
    summary: 'Public keys that verify access tokens (RFC 7517 JWK Set)',
    tag: 'discovery',
    responses: { 200: { description: 'JWK Set', schema: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: { type: 'object' } } } } } },
  },
}

/**
 * Public verification keys in force now. Caches may keep a copy for the publication delay: a new
 * key is published at least that long (plus one replica refresh interval) before it signs
 * anything, so no cached copy can lack a key that signs.
 */
export function jwksRoutes(keyRing: KeyRingSource, options: { maxAgeSeconds: number }): Router {
  const router = createRouter()
  router.get('/.well-known/jwks.json', (ctx) => {
    ctx.set('Cache-Control', `public, max-age=${options.maxAgeSeconds}`)
    ctx.type = 'application/jwk-set+json'
    ctx.body = keyRing.current().jwks
  })
  return router
}
