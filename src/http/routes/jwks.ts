import Router from '@koa/router'
import type { KeyRing } from '../../domain/tokens/key-ring.js'

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
