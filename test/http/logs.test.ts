import { randomBytes } from 'node:crypto'
import test, { type ExecutionContext } from 'ava'
import { eachDatabase } from '../helpers/each-database.js'
import { uniqueEmail, type Response, type TestLatch } from '../helpers/latch.js'

/**
 * Secrets never reach the logs: not passwords, not refresh tokens, not access tokens, not
 * Authorization headers, whether a request succeeds, fails, or cannot even be parsed. What the
 * logs do carry is one line per request and, for failures, the private reason the client is not told.
 */

const JSON_TYPE = { 'content-type': 'application/json' }

/** A password no log line could contain by chance. */
const newPassword = () => `Tr0ub4dor&3#${randomBytes(6).toString('hex')}!~`

/**
 * The first window of `secret` (every run of `size` characters) found in any log line, or null.
 * Windows, not just the whole secret: an error message that quotes part of a body leaks too.
 */
function leakedWindow(secret: string, logs: string[], size: number): string | null {
  const text = logs.join('\n')
  for (let start = 0; start + size <= secret.length; start++) {
    const window = secret.slice(start, start + size)
    if (text.includes(window)) return window
  }
  return null
}

function requestId(t: ExecutionContext, response: Response): string {
  const id = response.headers.get('x-request-id')
  t.truthy(id, 'every response carries X-Request-Id')
  return id!
}

function logLineOf(server: TestLatch, id: string): Record<string, unknown> | undefined {
  const line = server.logs.find((entry) => entry.includes(id))
  return line === undefined ? undefined : JSON.parse(line)
}

eachDatabase(
  (provider, server) => {
    test(`${provider}: no password, token or Authorization header reaches the logs, whatever the outcome`, async (t) => {
      const email = uniqueEmail('logs')
      const password = newPassword()
      const responses: { response: Response; method: string; path: string }[] = []
      const call = async (method: string, path: string, init: Parameters<TestLatch['request']>[2] = {}) => {
        const response = await server().request(method, path, init)
        responses.push({ response, method, path })
        return response
      }

      const registered = await call('POST', '/register', { json: { email, password } })
      t.is(registered.status, 201, registered.text)
      const first = await call('POST', '/login', { json: { email, password } })
      t.is(first.status, 200, first.text)
      const rotated = await call('POST', '/refresh', { json: { refresh_token: first.body.refresh_token } })
      t.is(rotated.status, 200, rotated.text)
      const reused = await call('POST', '/refresh', { json: { refresh_token: first.body.refresh_token } })
      t.is(reused.status, 401, 'a used token presented again (no grace window) is refused')
      const second = await call('POST', '/login', { json: { email, password } })
      t.is(second.status, 200, second.text)
      const me = await call('GET', '/me', { headers: { authorization: `Bearer ${second.body.access_token}` } })
      t.is(me.status, 200, me.text)
      const bogusBearer = `Bearer not.a-real_token-${randomBytes(12).toString('hex')}`
      t.is((await call('GET', '/me', { headers: { authorization: bogusBearer } })).status, 401)
      t.is((await call('POST', '/logout', { json: { refresh_token: second.body.refresh_token } })).status, 204)
      const afterLogout = await call('GET', '/me', { headers: { authorization: `Bearer ${second.body.access_token}` } })
      t.is(afterLogout.status, 401, 'the access token of a logged-out session is refused by /me')
      const wrongPassword = `${password}-wrong`
      t.is((await call('POST', '/login', { json: { email, password: wrongPassword } })).status, 401)
      // Bodies that cannot be parsed, with the password right where the parser gives up.
      for (const body of [
        `{"email": "${email}", "password": ${password}}`,
        `{"email": "${email}", "password": "${password}"x}`,
        `{"email": "${email}", "password": "${password}`,
      ]) {
        const malformed = await call('POST', '/login', { body, headers: JSON_TYPE })
        t.is(malformed.status, 400, malformed.text)
      }

      const logs = server().logs
      // The capture works: every request above has its line, with what a request line carries.
      for (const { response, method, path } of responses) {
        const line = logLineOf(server(), requestId(t, response))
        t.like(line, { method, path, status: response.status }, `${method} ${path} is logged`)
      }

      const secrets: [string, string, number][] = [
        ['the password', password, 8],
        ['the wrong password', wrongPassword, 8],
        ['a bogus Authorization header', bogusBearer, 16],
      ]
      for (const pair of [first.body, rotated.body, second.body]) {
        secrets.push(['a refresh token', pair.refresh_token, 16])
        secrets.push(['an access token', pair.access_token, 16])
        secrets.push(['an Authorization header', `Bearer ${pair.access_token}`, 16])
        // The signature alone identifies (and with the rest, forges nothing but replays) a token.
        secrets.push(['an access token signature', pair.access_token.split('.')[2], 16])
      }
      for (const [what, secret, size] of secrets) {
        t.is(leakedWindow(secret, logs, size), null, `${what} leaked into the logs`)
      }
    })

    test(`${provider}: a failed login logs its private reason; the response does not tell it`, async (t) => {
      const email = uniqueEmail('reason')
      const password = newPassword()
      const registered = await server().post('/register', { email, password })
      t.is(registered.status, 201)

      const wrong = await server().post('/login', { email, password: `${password}-wrong` })
      t.is(wrong.status, 401)
      const unknown = await server().post('/login', { email: uniqueEmail('nobody'), password })
      t.is(unknown.status, 401)

      const wrongLine = logLineOf(server(), requestId(t, wrong))
      t.like(wrongLine, { path: '/login', status: 401, error: 'invalid_grant' })
      t.regex(String(wrongLine?.detail), /wrong password/)
      t.true(String(wrongLine?.detail).includes(registered.body.id), 'operators see whose login failed')
      t.regex(String(logLineOf(server(), requestId(t, unknown))?.detail), /unknown email/)

      // The client learns neither which check failed nor whose account it was.
      t.deepEqual(wrong.body, unknown.body)
      for (const response of [wrong, unknown]) {
        t.notRegex(response.text, /wrong password|unknown email/i)
        t.false(response.text.includes(registered.body.id))
      }
    })
  },
  { env: { LATCH_REFRESH_REUSE_GRACE: '0' } },
)
