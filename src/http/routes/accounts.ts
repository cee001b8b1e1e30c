import type Router from '@koa/router'
import { z } from 'zod'
import type { Core } from '../../domain/core.js'
import { parseInput } from '../errors.js'
import { JSON_BODY_ERRORS, UNAVAILABLE, type OperationSpecs } from '../openapi.js'
import { jsonBody } from '../middleware/json-body.js'
import { requestContext } from '../request-context.js'
import { createRouter } from '../router.js'
import { Email, Password } from './inputs.js'

const RegisterInput = z.strictObject({ email: Email, password: Password })

export const accountOperations: OperationSpecs = {
  'POST /register': {
    summary: 'Create an account (NIST SP 800-63B passwords: 8 to 256 characters)',
    tag: 'accounts',
    body: { schema: RegisterInput },
    responses: {
      201: { description: 'Created', schema: { type: 'object', required: ['id', 'email'], properties: { id: { type: 'string' }, email: { type: 'string' } } } },
      ...JSON_BODY_ERRORS,
      403: 'registration_closed',
      409: 'email_taken',
      ...UNAVAILABLE,
    },
  },
}

export function accountRoutes(core: Core, options: { bodyLimit: number }): Router {
  const router = createRouter()

  router.post('/register', jsonBody(options.bodyLimit), async (ctx) => {
    const input = parseInput(RegisterInput, ctx.request.body)
    const user = await core.register(input, requestContext(ctx))
    ctx.status = 201
    ctx.body = { id: user.id, email: user.email }
  })

  return router
}
