import test from 'ava'
import { PROVIDERS } from '../helpers/databases.js'
import { PASSWORD, TestLatch, uniqueEmail } from '../helpers/latch.js'

/**
 * Paths are matched exactly, case included. @koa/router's default matched routes in any case but
 * their guard middleware only in the registered case, so /ADMIN/users once reached the admin
 * handlers without a token. Every documented operation is tried under other cases of its path.
 */

const ANY_UUID = '3f1c1f0e-8a4b-4c35-9d55-2f7b1f6c0a11'

/** `/admin/users/{id}` -> `/ADMIN/users/<uuid>` and `/Admin/users/<uuid>`: each literal first segment in other cases. */
function otherCases(path: string): string[] {
  const concrete = path.replace(/\{[^}]+\}/g, ANY_UUID)
  const [, first = '', rest = ''] = /^\/([^/]*)(.*)$/.exec(concrete) ?? []
  const variants = [first.toUpperCase(), first.charAt(0).toUpperCase() + first.slice(1)]
  return [...new Set(variants)].filter((variant) => variant !== first).map((variant) => `/${variant}${rest}`)
}

for (const provider of PROVIDERS) {
  test(`${provider}: no operation answers under another case of its path`, async (t) => {
    const server = await TestLatch.start(provider)
    t.teardown(() => server.close())
    const { body: document } = await server.request('GET', '/openapi.json')
    const operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
    )
    t.true(operations.some((operation) => operation.path.startsWith('/admin/')), 'the admin API is among them')
    let tried = 0
    for (const { method, path } of operations) {
      for (const variant of otherCases(path)) {
        const response = await server.request(method, variant, method === 'GET' ? {} : { json: {} })
        t.is(response.status, 404, `${method} ${variant}: ${response.text}`)
        t.is(response.body?.error, 'not_found', `${method} ${variant}`)
        tried += 1
      }
    }
    t.true(tried >= operations.length, `${tried} variants tried`)
  })

  test(`${provider}: POST /ADMIN/users without a token creates nobody`, async (t) => {
    const server = await TestLatch.start(provider)
    t.teardown(() => server.close())
    const email = uniqueEmail('intruder')
    const response = await server.post('/ADMIN/users', { email, password: PASSWORD, role: 'admin' })
    t.is(response.status, 404, response.text)
    t.is(await server.latch.database.prisma.user.count({ where: { email } }), 0)
  })
}
