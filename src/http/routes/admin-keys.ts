import type { Middleware } from 'koa'
import { z } from 'zod'
import type { Core } from '../../domain/core.js'
import { SIGNING_ALGORITHMS } from '../../domain/tokens/key-ring.js'
import type { RotatedSigningKey } from '../../domain/tokens/rotate-signing-key.js'
import { parseInput } from '../errors.js'
import { jsonBody } from '../middleware/json-body.js'
import { JSON_BODY_ERRORS, type OperationSpecs } from '../openapi.js'
import { requestContext } from '../request-context.js'
import { adminErrors, adminRoutes } from './admin-shared.js'

const RotateInput = z.strictObject({
  alg: z.enum(SIGNING_ALGORITHMS, { error: `must be one of ${SIGNING_ALGORITHMS.join(', ')}` }).optional().describe('default: LATCH_SIGNING_ALG'),
})

const Instant = { type: 'string', format: 'date-time' }
const RotatedKeyBody = {
  type: 'object',
  required: ['kid', 'alg', 'state', 'created_at', 'activates_at', 'retires_at', 'retiring'],
  properties: {
    kid: { type: 'string' },
    alg: { enum: [...SIGNING_ALGORITHMS] },
    state: { enum: ['pending', 'active'], description: 'pending until activates_at' },
    created_at: { ...Instant, description: 'published in the JWKS from now' },
    activates_at: { ...Instant, description: 'signs from this instant' },
    retires_at: { type: 'null' },
    retiring: {
      type: 'array',
      description: 'the keys this one replaces, and when they leave the JWKS',
      items: { type: 'object', required: ['kid', 'retires_at'], properties: { kid: { type: 'string' }, retires_at: Instant } },
    },
  },
}

export const adminKeyOperations: OperationSpecs = {
  'POST /admin/keys/rotate': {
    summary: 'Add a signing key: published now, signing after the publication delay; the keys it replaces retire once their tokens expire',
    tag: 'admin',
    security: 'admin',
    body: { schema: RotateInput },
    responses: { 201: { description: 'The new key', schema: RotatedKeyBody }, ...JSON_BODY_ERRORS, ...adminErrors, 409: 'key_rotation_unavailable: keys are fixed by configuration' },
  },
}

export function adminKeyRoutes(core: Core, options: { bodyLimit: number }) {
  const router = adminRoutes()

  router.post('/keys/rotate', optionalJsonBody(options.bodyLimit), async (ctx) => {
    const { alg } = parseInput(RotateInput, ctx.request.body ?? {})
    const rotated = await core.rotateSigningKey(alg ? { alg } : {}, requestContext(ctx))
    ctx.status = 201
    ctx.body = rotatedKeyView(rotated)
  })

  return router
}

/** The body is optional (`{}` and no body both mean "the default algorithm"); when sent, it must be JSON. */
function optionalJsonBody(limit: number): Middleware {
  const parse = jsonBody(limit)
  return (ctx, next) => (ctx.request.length || ctx.get('Transfer-Encoding') ? parse(ctx, next) : next())
}

/** The new key as the API (and `latch keys rotate --json`) shows it. */
export function rotatedKeyView({ key, retiring }: RotatedSigningKey) {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    created_at: key.createdAt.toISOString(),
    activates_at: key.activatesAt.toISOString(),
    retires_at: key.retiresAt?.toISOString() ?? null,
    retiring: retiring.map((entry) => ({ kid: entry.kid, retires_at: entry.retiresAt.toISOString() })),
  }
}
