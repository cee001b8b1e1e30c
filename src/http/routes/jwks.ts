import Router from '@koa/router'
import type { KeyRing } from '../../domain/tokens/key-ring.js'
import type { OperationSpecs } from '../openapi.js'

export const jwksOperations: OperationSpecs = {
  'GET /.well-known/jwks.json': {
    summary: 'Public keys that verify access tokens (RFC 7517 JWK Set)',
    tag: 'discovery',
    responses: { 200: { description: 'JWK Set', schema: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: { type: 'object' } } } } } },
  },
}

/**
 * Public verification keys. Cached briefly: edges refetch on an unknown kid anyway, and a new key
 * is published before it signs anything.
 */
export function jwksRoutes(keyRing: KeyRing): Router {
  const router = new Router()
  router.get('/.well-known/jwks.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300')
    ctx.type = 'application/jwk-set+json'
    ctx.body = keyRing.jwks
  })
  return router
}
