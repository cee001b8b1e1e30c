import test from 'ava'
import { eachDatabase } from '../helpers/each-database.js'
import { TEST_ISSUER } from '../helpers/latch.js'

/** GET /openapi.json documents exactly the routes Latch serves, with the bodies it validates. */

interface Layer {
  path: string
  methods: string[]
}

eachDatabase((provider, server) => {
  test(`${provider}: every served route is documented and every documented operation is served`, async (t) => {
    const served = new Set<string>()
    for (const middleware of server().latch.app.middleware as Array<{ router?: { stack: Layer[] } }>) {
      for (const layer of middleware.router?.stack ?? []) {
        for (const method of layer.methods) {
          if (method !== 'HEAD') served.add(`${method.toLowerCase()} ${layer.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`)
        }
      }
    }
    const response = await server().get('/openapi.json')
    t.is(response.status, 200)
    const documented = new Set<string>()
    for (const [path, operations] of Object.entries<Record<string, unknown>>(response.body.paths)) {
      for (const method of Object.keys(operations)) documented.add(`${method} ${path}`)
    }
    t.true(served.size >= 10, 'the route walk found the routers')
    t.deepEqual([...documented].sort(), [...served].sort())
  })

  test(`${provider}: every operation documents the errors any request to it can get`, async (t) => {
    const { body } = await server().get('/openapi.json')
    // Answered from memory: no database, so no 503.
    const fromMemory = new Set(['get /healthz', 'get /.well-known/jwks.json', 'get /.well-known/oauth-authorization-server', 'get /openapi.json'])
    const missing: string[] = []
    for (const [path, operations] of Object.entries<Record<string, { requestBody?: unknown; security?: unknown; responses: Record<string, unknown> }>>(body.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const name = `${method} ${path}`
        const expected = [
          // A body can be malformed (400), too large (413), or of another type or coding (415).
          ...(operation.requestBody ? ['400', '413', '415'] : []),
          // Whoever must authenticate can fail to.
          ...(operation.security ? ['401'] : []),
          // Everything else reads or writes the database, which can be unreachable.
          ...(fromMemory.has(name) ? [] : ['503']),
        ]
        for (const status of expected) if (!(status in operation.responses)) missing.push(`${name} ${status}`)
      }
    }
    t.true(Object.keys(body.paths).length >= 20)
    t.deepEqual(missing, [])
  })

  test(`${provider}: the document is OpenAPI 3.1 and its request bodies come from the validation schemas`, async (t) => {
    const { body } = await server().get('/openapi.json')
    t.is(body.openapi, '3.1.0')
    t.deepEqual(body.servers, [{ url: TEST_ISSUER }])
    const login = body.paths['/login'].post
    const schema = login.requestBody.content['application/json'].schema
    t.deepEqual(schema.required, ['email', 'password'])
    t.is(schema.additionalProperties, false, 'strict objects: unknown fields are refused, and documented so')
    t.is(schema.properties.password.maxLength, 1024)
    t.deepEqual(Object.keys(login.responses).sort(), ['200', '400', '401', '403', '413', '415', '429', '503'])
    t.deepEqual(body.paths['/admin/users/{id}/lock'].post.parameters, [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }])
  })
})
