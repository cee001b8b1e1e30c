import { deflateSync, gzipSync } from 'node:zlib'
import test, { type ExecutionContext } from 'ava'
import { PROVIDERS } from '../helpers/databases.js'
import { eachDatabase } from '../helpers/each-database.js'
import { adminSession, PASSWORD, TestLatch, uniqueEmail, type Response } from '../helpers/latch.js'

/**
 * Bad input is refused before it reaches the domain, always in the documented shape
 * `{"error", "error_description"}` with `Cache-Control: no-store`, never with a stack trace, never
 * with the values that were sent, and never as a 500.
 */

const JSON_TYPE = { 'content-type': 'application/json' }
const DEFAULT_BODY_LIMIT = 16_384

/** Every response this file sees, so that the file can show none of them was a 500. */
const seen: { request: string; status: number }[] = []

async function send(server: TestLatch, method: string, path: string, init: Parameters<TestLatch['request']>[2] = {}): Promise<Response> {
  const response = await server.request(method, path, init)
  seen.push({ request: `${method} ${path}`, status: response.status })
  return response
}

/** A raw body with a JSON Content-Type. */
const postRaw = (server: TestLatch, path: string, body: string, headers: Record<string, string> = JSON_TYPE) =>
  send(server, 'POST', path, { body, headers })

/** Asserts the documented error: status, code, exactly two string fields, no-store, no stack trace. */
function assertError(t: ExecutionContext, response: Response, status: number, error: string): string {
  t.is(response.status, status, response.text)
  t.deepEqual(Object.keys(response.body ?? {}).sort(), ['error', 'error_description'], response.text)
  t.is(response.body.error, error)
  t.is(typeof response.body.error_description, 'string')
  t.true(response.body.error_description.length > 0)
  t.is(response.headers.get('cache-control'), 'no-store')
  t.regex(response.headers.get('content-type') ?? '', /^application\/json/)
  t.is(response.headers.get('x-content-type-options'), 'nosniff')
  t.regex(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/)
  assertNoStackTrace(t, response.text)
  return response.body.error_description as string
}

function assertNoStackTrace(t: ExecutionContext, text: string): void {
  t.notRegex(text, /\bat \S+ \(|\bat (file|node):|\n\s+at /, 'no stack frame in an error body')
  t.notRegex(text, /\/work\/|\/src\/|node_modules|file:\/\/|\.(ts|js|mjs):\d+/, 'no file path in an error body')
}

test.after.always('no response in this file was a 500', (t) => {
  t.true(seen.length > 0)
  t.deepEqual(seen.filter(({ status }) => status >= 500), [])
})

eachDatabase((provider, server) => {
  test(`${provider}: malformed JSON is 400 invalid_request`, async (t) => {
    for (const body of ['{"email": "a@example.com", "password": ', '{email: "a@example.com"}', "{'email': 1}", '{"a":1}}', 'not json']) {
      assertError(t, await postRaw(server(), '/login', body), 400, 'invalid_request')
    }
  })

  test(`${provider}: a JSON body that is not an object (array, string, number, null) is 400`, async (t) => {
    for (const body of ['[]', '[{"email":"a@example.com","password":"x"}]', '"a@example.com"', '42', 'true', 'null']) {
      for (const path of ['/login', '/register', '/refresh', '/logout']) {
        const description = assertError(t, await postRaw(server(), path, body), 400, 'invalid_request')
        t.is(description, 'The request body must be a valid JSON object.')
      }
    }
  })

  test(`${provider}: a body that is not declared as JSON is 415 invalid_request`, async (t) => {
    const json = JSON.stringify({ email: uniqueEmail(), password: PASSWORD })
    for (const contentType of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      const response = await postRaw(server(), '/register', json, { 'content-type': contentType })
      t.is(assertError(t, response, 415, 'invalid_request'), 'Content-Type must be application/json.')
    }
    // fetch labels a bare string body text/plain; with no body at all there is no Content-Type.
    assertError(t, await send(server(), 'POST', '/login', { body: json }), 415, 'invalid_request')
    assertError(t, await send(server(), 'POST', '/refresh'), 415, 'invalid_request')
    // The JSON was well-formed: nothing was created from it.
    const login = await send(server(), 'POST', '/login', { json: JSON.parse(json) })
    assertError(t, login, 401, 'invalid_grant')
  })

  test(`${provider}: a body with any Content-Encoding but identity is 415 with its own text, on JSON and form endpoints alike`, async (t) => {
    const json = JSON.stringify({ email: uniqueEmail(), password: PASSWORD })
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'latch_rt_x', client_id: 'latch-web' }).toString()
    const endpoints: [string, string, string][] = [
      ['/register', 'application/json', json],
      ['/login', 'application/json', json],
      ['/refresh', 'application/json', '{"refresh_token":"latch_rt_x"}'],
      ['/oauth/token', 'application/x-www-form-urlencoded', form],
      ['/oauth/revoke', 'application/x-www-form-urlencoded', 'token=x&client_id=latch-web'],
      ['/oauth/introspect', 'application/x-www-form-urlencoded', 'token=x&client_id=latch-web'],
    ]
    for (const [path, contentType, body] of endpoints) {
      // Bodies that are not what they claim to be (zlib would fail on them), real compressed
      // bodies, and encodings nobody implements: all refused before anything is decoded.
      const cases: [string, BodyInit][] = [
        ['gzip', body],
        ['deflate', body],
        ['GZIP', body],
        ['gzip', new Uint8Array(gzipSync(body))],
        ['deflate', new Uint8Array(deflateSync(body))],
        ['br', body],
        ['x-unknown', body],
        ['gzip, identity', body],
      ]
      for (const [encoding, payload] of cases) {
        const response = await fetch(server().url + path, { method: 'POST', headers: { 'content-type': contentType, 'content-encoding': encoding }, body: payload })
        const text = await response.text()
        seen.push({ request: `POST ${path} (${encoding})`, status: response.status })
        const parsed = { status: response.status, headers: response.headers, body: JSON.parse(text), text }
        const description = assertError(t, parsed, 415, 'invalid_request')
        t.is(description, 'Content-Encoding must be identity: compressed request bodies are not accepted.', `${path} ${encoding}`)
        t.is(response.headers.get('accept-encoding'), 'identity', 'RFC 7694: the server names the codings it accepts')
      }
    }
    // identity is what no Content-Encoding means, and is accepted.
    const identity = await postRaw(server(), '/register', json, { 'content-type': 'application/json', 'content-encoding': 'identity' })
    t.is(identity.status, 201, identity.text)
  })

  test(`${provider}: a body over LATCH_BODY_LIMIT (16384 bytes by default) is 413 invalid_request`, async (t) => {
    const ofLength = (length: number) => {
      const shell = JSON.stringify({ email: 'a@example.com', password: '' })
      return JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(length - shell.length) })
    }
    const atLimit = ofLength(DEFAULT_BODY_LIMIT)
    t.is(Buffer.byteLength(atLimit), DEFAULT_BODY_LIMIT)
    // At the limit the body is parsed (and refused for its oversized field); one byte more is not.
    const parsed = assertError(t, await postRaw(server(), '/login', atLimit), 400, 'invalid_request')
    t.regex(parsed, /password/)
    const over = await postRaw(server(), '/login', ofLength(DEFAULT_BODY_LIMIT + 1))
    t.is(assertError(t, over, 413, 'invalid_request'), `The request body exceeds ${DEFAULT_BODY_LIMIT} bytes.`)

    // Also without a Content-Length (chunked), where only counting the bytes can tell.
    const chunks = Array.from({ length: 20 }, () => new TextEncoder().encode(' '.repeat(1000)))
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk)
        controller.close()
      },
    })
    const chunked = await fetch(server().url + '/register', { method: 'POST', headers: JSON_TYPE, body, duplex: 'half' } as RequestInit)
    const text = await chunked.text()
    seen.push({ request: 'POST /register (chunked)', status: chunked.status })
    t.is(chunked.status, 413, text)
    t.is(JSON.parse(text).error, 'invalid_request')
    t.is(chunked.headers.get('cache-control'), 'no-store')
  })

  test(`${provider}: missing fields are 400 and each one is named`, async (t) => {
    const cases: [string, object, string[]][] = [
      ['/register', {}, ['email', 'password']],
      ['/register', { email: uniqueEmail() }, ['password']],
      ['/login', { password: PASSWORD }, ['email']],
      ['/refresh', {}, ['refresh_token']],
      ['/logout', {}, ['refresh_token']],
    ]
    for (const [path, json, fields] of cases) {
      const description = assertError(t, await send(server(), 'POST', path, { json }), 400, 'invalid_request')
      for (const field of fields) t.regex(description, new RegExp(`\\b${field}\\b`), `${path} names ${field}`)
    }
    const admin = await adminSession(server())
    const lock = await send(server(), 'POST', `/admin/users/${crypto.randomUUID()}/lock`, {
      json: {},
      headers: { authorization: `Bearer ${admin.accessToken}` },
    })
    t.regex(assertError(t, lock, 400, 'invalid_request'), /\breason\b/)
  })

  test(`${provider}: fields of the wrong type are 400, named, and their values are not echoed`, async (t) => {
    const secret = `S3cret-${crypto.randomUUID()}`
    const cases: [string, Record<string, unknown>, string][] = [
      ['/register', { email: uniqueEmail(), password: [secret] }, 'password'],
      ['/register', { email: uniqueEmail(), password: { value: secret } }, 'password'],
      ['/login', { email: { address: secret }, password: PASSWORD }, 'email'],
      ['/login', { email: uniqueEmail(), password: 12_345_678 }, 'password'],
      ['/refresh', { refresh_token: { token: secret } }, 'refresh_token'],
      ['/logout', { refresh_token: [secret] }, 'refresh_token'],
      ['/logout', { refresh_token: null }, 'refresh_token'],
    ]
    for (const [path, json, field] of cases) {
      const response = await send(server(), 'POST', path, { json })
      const description = assertError(t, response, 400, 'invalid_request')
      t.regex(description, new RegExp(`\\b${field}\\b`))
      t.false(response.text.includes(secret), `${path} does not echo the value sent`)
      t.false(response.text.includes('12345678'))
    }
  })

  test(`${provider}: unknown extra fields are 400, naming the field but not any value sent`, async (t) => {
    const password = `Pw-${crypto.randomUUID()}`
    const extraValue = `extra-${crypto.randomUUID()}`
    const email = uniqueEmail()
    for (const path of ['/register', '/login']) {
      const response = await send(server(), 'POST', path, { json: { email, password, role: 'admin', note: extraValue } })
      const description = assertError(t, response, 400, 'invalid_request')
      t.regex(description, /\brole\b/)
      t.regex(description, /\bnote\b/)
      t.false(response.text.includes(password), 'the password is not echoed')
      t.false(response.text.includes(extraValue), 'the extra value is not echoed')
      t.false(response.text.includes(email), 'the email is not echoed')
    }
    const refresh = await send(server(), 'POST', '/refresh', { json: { refresh_token: 'latch_rt_x', grant_type: extraValue } })
    t.regex(assertError(t, refresh, 400, 'invalid_request'), /\bgrant_type\b/)
    t.false(refresh.text.includes(extraValue))
    // Refused means refused: the register attempt with an extra field created no account.
    assertError(t, await send(server(), 'POST', '/login', { json: { email, password } }), 401, 'invalid_grant')
  })

  test(`${provider}: oversized email, password and refresh_token fields are 400`, async (t) => {
    const longEmail = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.example`
    t.true(longEmail.length > 254)
    const cases: [string, object, RegExp][] = [
      ['/register', { email: longEmail, password: PASSWORD }, /\bemail\b.*254/],
      ['/login', { email: longEmail, password: PASSWORD }, /\bemail\b.*254/],
      ['/register', { email: uniqueEmail(), password: 'p'.repeat(1025) }, /\bpassword\b.*1024/],
      ['/login', { email: uniqueEmail(), password: 'p'.repeat(1025) }, /\bpassword\b.*1024/],
      ['/refresh', { refresh_token: `latch_rt_${'r'.repeat(600)}` }, /\brefresh_token\b.*512/],
      ['/logout', { refresh_token: `latch_rt_${'r'.repeat(600)}` }, /\brefresh_token\b.*512/],
    ]
    for (const [path, json, expected] of cases) {
      const response = await send(server(), 'POST', path, { json })
      t.regex(assertError(t, response, 400, 'invalid_request'), expected)
      t.false(response.text.includes('pppppppp') || response.text.includes('rrrrrrrr') || response.text.includes('aaaaaaaa'))
    }
  })

  test(`${provider}: an unknown route is 404 not_found, whatever the method`, async (t) => {
    for (const [method, path] of [['GET', '/nope'], ['POST', '/nope'], ['GET', '/'], ['GET', '/login/extra'], ['GET', '/v1/login'], ['DELETE', '/users/1'], ['PROPFIND', '/nope']]) {
      const response = await send(server(), method!, path!, method === 'POST' ? { json: {} } : {})
      t.is(assertError(t, response, 404, 'not_found'), 'No such endpoint.', `${method} ${path}`)
    }
  })

  test(`${provider}: a known route with a method it does not support is 405 method_not_allowed, with Allow`, async (t) => {
    const cases: [string, string, string][] = [
      ['GET', '/login', 'POST'],
      ['PUT', '/register', 'POST'],
      ['DELETE', '/refresh', 'POST'],
      ['GET', '/logout-all', 'POST'],
      ['POST', '/me', 'GET'],
      ['DELETE', '/me', 'GET'],
      ['POST', '/healthz', 'GET'],
      ['PATCH', '/.well-known/jwks.json', 'GET'],
      ['PROPFIND', '/login', 'POST'],
      ['PURGE', '/me', 'GET'],
    ]
    for (const [method, path, allowed] of cases) {
      const response = await send(server(), method, path, method === 'POST' ? { json: {} } : {})
      t.is(assertError(t, response, 405, 'method_not_allowed'), 'This endpoint does not support that method.', `${method} ${path}`)
      t.true((response.headers.get('allow') ?? '').split(/,\s*/).includes(allowed), `${method} ${path} → Allow: ${response.headers.get('allow')}`)
      t.false((response.headers.get('allow') ?? '').split(/,\s*/).includes(method), `Allow does not list ${method}`)
    }
  })

  test(`${provider}: a user id that is not a UUID is 400 for an admin, before anything is looked up`, async (t) => {
    const admin = await adminSession(server())
    const headers = { authorization: `Bearer ${admin.accessToken}` }
    for (const id of ['not-a-uuid', '123', `${crypto.randomUUID()}x`, "1' OR '1'='1"]) {
      const path = `/admin/users/${encodeURIComponent(id)}/lock`
      const lock = await send(server(), 'POST', path, { headers, json: { reason: 'bad id' } })
      t.is(assertError(t, lock, 400, 'invalid_request'), 'user id must be a UUID', id)
      const unlock = await send(server(), 'POST', `/admin/users/${encodeURIComponent(id)}/unlock`, { headers })
      t.is(assertError(t, unlock, 400, 'invalid_request'), 'user id must be a UUID', id)
    }
    // A well-formed id of nobody is a different answer: 404.
    const nobody = await send(server(), 'POST', `/admin/users/${crypto.randomUUID()}/lock`, { headers, json: { reason: 'nobody' } })
    assertError(t, nobody, 404, 'not_found')
  })

  test(`${provider}: control characters (a NUL byte above all, which PostgreSQL cannot store) in client ids, searches, reasons and cursors are 400`, async (t) => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    for (const clientId of ['a\u0000b', '\u0000', 'latch-web\u0000', 'a\u0007b', 'a\nb', 'a\u007fb']) {
      const encoded = encodeURIComponent(clientId)
      for (const [path, body] of [
        ['/oauth/token', `grant_type=refresh_token&refresh_token=latch_rt_x&client_id=${encoded}`],
        ['/oauth/revoke', `token=x&client_id=${encoded}`],
        ['/oauth/introspect', `token=x&client_id=${encoded}&client_secret=latch_cs_x`],
      ] as const) {
        const response = await postRaw(server(), path, body, form)
        t.regex(assertError(t, response, 400, 'invalid_request'), /client_id: must not contain control characters/, `${path} ${encoded}`)
      }
      // In HTTP Basic the client id is part of the credentials: malformed credentials are invalid_client.
      const credentials = Buffer.from(`${encoded}:secret`).toString('base64')
      for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect']) {
        const response = await postRaw(server(), path, 'grant_type=refresh_token&refresh_token=latch_rt_x&token=x', { ...form, authorization: `Basic ${credentials}` })
        assertError(t, response, 401, 'invalid_client')
      }
      const login = await send(server(), 'POST', '/login', { json: { email: uniqueEmail(), password: PASSWORD, client_id: clientId } })
      t.regex(assertError(t, login, 400, 'invalid_request'), /client_id: must not contain control characters/)
    }

    const admin = await adminSession(server())
    const headers = { authorization: `Bearer ${admin.accessToken}` }
    for (const query of ['%00', 'ada%00', '%07', '%0A']) {
      const response = await send(server(), 'GET', `/admin/users?query=${query}`, { headers })
      t.regex(assertError(t, response, 400, 'invalid_request'), /query: must not contain control characters/, query)
    }
    const lock = await send(server(), 'POST', `/admin/users/${admin.userId}/lock`, { headers, json: { reason: 'stolen\u0000laptop', force: true } })
    t.regex(assertError(t, lock, 400, 'invalid_request'), /reason: must not contain control characters/)
    t.is((await server().get('/me', admin.accessToken)).status, 200, 'nothing was locked')
    for (const id of ['a\u0000b', '\u0000']) {
      const cursor = Buffer.from(JSON.stringify([Date.now(), id])).toString('base64url')
      const response = await send(server(), 'GET', `/admin/users?cursor=${cursor}`, { headers })
      t.is(assertError(t, response, 400, 'invalid_request'), 'cursor is not one this server issued')
    }
  })

  test(`${provider}: a value the database refuses as input is invalid_request from storage too, not a crash (defence in depth)`, async (t) => {
    // Past the HTTP schemas, as a future caller might get: PostgreSQL rejects NUL in text (22021).
    const error = await t.throwsAsync(server().latch.core.findUserByEmail('ada\u0000@example.com'))
    t.is((error as { code?: unknown }).code, provider === 'postgresql' ? 'invalid_request' : 'not_found', error?.message)
  })

  test(`${provider}: a client's malformed request is logged as a request at info level, not as a server failure`, async (t) => {
    const response = await postRaw(server(), '/register', '{"email":')
    assertError(t, response, 400, 'invalid_request')
    const requestId = response.headers.get('x-request-id')
    t.truthy(requestId)
    const line = server().logs.find((entry) => entry.includes(requestId!))
    t.truthy(line, 'the request was logged')
    t.like(JSON.parse(line!), { level: 30, msg: 'request', status: 400, error: 'invalid_request' })
    t.false(line!.includes('"stack"'))
  })
})

for (const provider of PROVIDERS) {
  test(`${provider}: LATCH_BODY_LIMIT sets the limit, and the description states it`, async (t) => {
    const server = await TestLatch.start(provider, { env: { LATCH_BODY_LIMIT: '2048' } })
    t.teardown(() => server.close())
    const body = (length: number) => JSON.stringify({ refresh_token: 'x', pad: ' '.repeat(length - 30) })
    t.is(Buffer.byteLength(body(2048)), 2048)
    // At the limit the body is parsed (and refused for its unknown field); over it, it is not parsed.
    t.regex(assertError(t, await postRaw(server, '/refresh', body(2048)), 400, 'invalid_request'), /\bpad\b/)
    const over = await postRaw(server, '/refresh', body(2049))
    t.is(assertError(t, over, 413, 'invalid_request'), 'The request body exceeds 2048 bytes.')
  })
}
