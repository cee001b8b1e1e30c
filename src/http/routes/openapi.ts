import type Router from '@koa/router'
import { buildOpenApiDocument, type OperationSpecs } from '../openapi.js'
import { createRouter } from '../router.js'

export const openApiOperations: OperationSpecs = {
  'GET /openapi.json': { summary: 'This OpenAPI 3.1 document', tag: 'discovery', responses: { 200: { description: 'OpenAPI document', schema: { type: 'object' } } } },
}

/** Serves the document built once at start from every route module's operations. */
export function openApiRoutes(operations: OperationSpecs, info: { issuer: string; version: string }): Router {
  const document = buildOpenApiDocument({ ...operations, ...openApiOperations }, info)
  const router = createRouter()
  router.get('/openapi.json', (ctx) => {
    ctx.body = document
  })
  return router
}
