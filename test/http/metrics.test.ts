import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import test from 'ava'
import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import { TestClock } from '../helpers/clock.js'
import { createEdge, EventStreamReader } from '../helpers/feed.js'
import { adminSession, PASSWORD, registerAndLogin, TestLatch, uniqueEmail } from '../helpers/latch.js'

/**
 * GET /metrics (Prometheus) on a listener of its own, on only when LATCH_METRICS_PORT is set.
 * SQLite only: what is counted does not depend on the database.
 */

const METRICS_ON = { LATCH_METRICS_PORT: '0' }

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

function parse(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return samples
}

async function scrape(server: TestLatch): Promise<{ text: string; samples: Sample[]; contentType: string | null }> {
  const response = await fetch(`${server.metricsUrl}/metrics`)
  if (response.status !== 200) throw new Error(`GET /metrics: ${response.status}`)
  const text = await response.text()
  return { text, samples: parse(text), contentType: response.headers.get('content-type') }
}

/** The value of the one sample of `name` with exactly `labels`; 0 when the series does not exist yet. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((sample) => sample.name === name && JSON.stringify(Object.entries(sample.labels).sort()) === JSON.stringify(Object.entries(labels).sort()))
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`)
  return found[0]?.value ?? 0
}

async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

test('metrics are off by default: no listener, and no /metrics on the API port', async (t) => {
  const server = await TestLatch.start('sqlite')
  t.teardown(() => server.close())
  t.is(server.latch.metrics, null)
  t.is(server.metricsUrl, null)
  t.is((await server.get('/metrics')).status, 404)
})

test('with LATCH_METRICS_PORT, /metrics is on its own listener in the Prometheus text format, and still not on the API port', async (t) => {
  const server = await TestLatch.start('sqlite', { env: METRICS_ON })
  t.teardown(() => server.close())
  t.not(server.metricsUrl, server.url)
  t.is((await server.get('/metrics')).status, 404, 'the API port never serves metrics')

  const { text, samples, contentType } = await scrape(server)
  t.is(contentType, 'text/plain; version=0.0.4; charset=utf-8')
  t.regex(text, /^# HELP latch_logins_total /m)
  t.regex(text, /^# TYPE latch_http_request_duration_seconds histogram$/m)
  t.true(value(samples, 'process_cpu_user_seconds_total') > 0, 'the default process metrics are there')
  t.true(samples.some((sample) => sample.name === 'nodejs_eventloop_lag_seconds'))
  // The closed outcome sets exist from the first scrape, at 0.
  for (const outcome of ['succeeded', 'failed', 'locked', 'throttled']) t.is(value(samples, 'latch_logins_total', { outcome }), 0)
  for (const outcome of ['rotated', 'grace_replay', 'reuse_detected', 'refused']) t.is(value(samples, 'latch_refreshes_total', { outcome }), 0)
  t.is(value(samples, 'latch_feed_streams'), 0)

  t.is((await fetch(`${server.metricsUrl}/`)).status, 404, 'the metrics listener serves /metrics only')
  t.is((await fetch(`${server.metricsUrl}/metrics`, { method: 'POST' })).status, 404)
})

test('a login the throttle refuses is counted as throttled, not as failed', async (t) => {
  const server = await TestLatch.start('sqlite', { env: { ...METRICS_ON, LATCH_LOGIN_MAX_FAILURES: '1' } })
  t.teardown(() => server.close())
  const before = (await scrape(server)).samples
  const email = uniqueEmail('guessed')
  t.is((await server.post('/login', { email, password: 'wrong password, long enough' })).status, 401)
  t.is((await server.post('/login', { email, password: 'wrong password, long enough' })).status, 429)
  const after = (await scrape(server)).samples
  const delta = (outcome: string) => value(after, 'latch_logins_total', { outcome }) - value(before, 'latch_logins_total', { outcome })
  t.is(delta('failed'), 1)
  t.is(delta('throttled'), 1)
})

test('logins and refreshes are counted by outcome, exactly, and requests by route pattern and status', async (t) => {
  const clock = new TestClock()
  const server = await TestLatch.start('sqlite', { env: { ...METRICS_ON, LATCH_REFRESH_REUSE_GRACE: '10' }, clock })
  t.teardown(() => server.close())
  const before = (await scrape(server)).samples

  // Logins: one success (inside registerAndLogin), two failures, one locked account.
  const user = await registerAndLogin(server)
  t.is((await server.post('/login', { email: user.email, password: 'wrong password, long enough' })).status, 401)
  t.is((await server.post('/login', { email: uniqueEmail('nobody'), password: PASSWORD })).status, 401)
  const locked = await registerAndLogin(server)
  await server.latch.core.lockUser({ userId: locked.userId, reason: 'test' }, OPERATOR_CONTEXT)
  t.is((await server.post('/login', { email: locked.email, password: PASSWORD })).status, 403)

  // Refreshes: a rotation, a repeat within the grace, a refusal (the session of a locked account), a replay after the grace.
  const statuses: number[] = []
  const refresh = async (refreshToken: string) => {
    const response = await server.post('/refresh', { refresh_token: refreshToken })
    statuses.push(response.status)
    return response
  }
  t.is((await refresh(user.refreshToken)).status, 200)
  t.is((await refresh(user.refreshToken)).status, 200)
  t.is((await refresh(locked.refreshToken)).status, 401)
  clock.advance(11)
  t.is((await refresh(user.refreshToken)).status, 401)

  const after = (await scrape(server)).samples
  const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels)
  t.is(delta('latch_logins_total', { outcome: 'succeeded' }), 2)
  t.is(delta('latch_logins_total', { outcome: 'failed' }), 2)
  t.is(delta('latch_logins_total', { outcome: 'locked' }), 1)
  t.is(delta('latch_refreshes_total', { outcome: 'rotated' }), 1)
  t.is(delta('latch_refreshes_total', { outcome: 'grace_replay' }), 1)
  t.is(delta('latch_refreshes_total', { outcome: 'refused' }), 1)
  t.is(delta('latch_refreshes_total', { outcome: 'reuse_detected' }), 1)

  t.is(delta('latch_http_requests_total', { method: 'POST', route: '/refresh', status: '200' }), 2)
  t.is(delta('latch_http_requests_total', { method: 'POST', route: '/refresh', status: '401' }), 2)
  t.is(delta('latch_http_requests_total', { method: 'POST', route: '/login', status: '200' }), 2)
  t.is(delta('latch_http_requests_total', { method: 'POST', route: '/login', status: '401' }), 2)
  t.is(delta('latch_http_requests_total', { method: 'POST', route: '/login', status: '403' }), 1)
  t.is(delta('latch_http_requests_total', { method: 'POST', route: '/register', status: '201' }), 2)
  t.is(delta('latch_http_request_duration_seconds_count', { method: 'POST', route: '/refresh' }), 4)
  t.is(delta('latch_http_request_duration_seconds_bucket', { method: 'POST', route: '/refresh', le: '+Inf' }), 4)
  t.true(delta('latch_http_request_duration_seconds_sum', { method: 'POST', route: '/refresh' }) > 0)
  t.deepEqual(statuses, [200, 200, 401, 401])
})

test('the route label is the route pattern, unmatched for 404s, and no id, email, token or secret ever appears', async (t) => {
  const server = await TestLatch.start('sqlite', { env: METRICS_ON })
  t.teardown(() => server.close())
  const admin = await adminSession(server)
  const user = await registerAndLogin(server)
  const refreshed = await server.post('/refresh', { refresh_token: user.refreshToken })
  t.is(refreshed.status, 200)
  t.is((await server.get(`/admin/users/${user.userId}`, admin.accessToken)).status, 200)
  t.is((await server.get('/me', user.accessToken)).status, 200)
  const missing = `/no-such-path-${user.userId}`
  t.is((await server.get(missing)).status, 404)
  t.is((await server.get(`/admin/no-such-${user.userId}`, admin.accessToken)).status, 404)
  t.is((await server.get(`/admin/users/${user.userId}`, user.accessToken)).status, 403, 'refused by the admin guard, before the route runs')

  const { text, samples } = await scrape(server)
  t.is(value(samples, 'latch_http_requests_total', { method: 'GET', route: '/admin/users/:id', status: '403' }), 1)
  t.is(value(samples, 'latch_http_requests_total', { method: 'GET', route: '/admin/users/:id', status: '200' }), 1)
  t.is(value(samples, 'latch_http_requests_total', { method: 'GET', route: '/me', status: '200' }), 1)
  t.is(value(samples, 'latch_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }), 2)
  const routes = new Set(samples.filter((sample) => sample.name === 'latch_http_requests_total').map((sample) => sample.labels.route))
  t.deepEqual([...routes].sort(), ['/admin/users/:id', '/login', '/me', '/refresh', '/register', 'unmatched'])
  for (const secret of [user.userId, admin.userId, user.email, admin.email, PASSWORD, user.accessToken, user.refreshToken, refreshed.body.refresh_token, admin.accessToken, missing]) {
    t.false(text.includes(secret), `${secret.slice(0, 24)}… is not in the metrics`)
  }
  t.false(text.includes('example.com'), 'no email domain either')
})

test('feed metrics: open streams, revocations published by kind, webhook deliveries by result', async (t) => {
  const server = await TestLatch.start('sqlite', { env: METRICS_ON })
  t.teardown(() => server.close())
  const metric = async (name: string, labels: Record<string, string> = {}) => value((await scrape(server)).samples, name, labels)

  // A receiver that fails its first attempt and acknowledges the next (after the 1 s backoff).
  let attempts = 0
  const hook = createServer((request, response) => {
    request.resume().on('end', () => {
      attempts += 1
      response.writeHead(attempts === 1 ? 503 : 202).end()
    })
  })
  hook.listen(0, '127.0.0.1')
  await once(hook, 'listening')
  t.teardown(() => hook.close())
  await createEdge(server, { webhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` })

  const edge = await createEdge(server)
  const reader = await EventStreamReader.open(server, edge)
  t.is(reader.status, 200)
  t.is(await metric('latch_feed_streams'), 1)

  const user = await registerAndLogin(server)
  t.is((await server.post('/logout', { refresh_token: user.refreshToken })).status, 204)
  await reader.waitFor((messages) => messages.some((message) => message.event === 'set'))
  t.is(await metric('latch_feed_revocations_total', { kind: 'session' }), 1)
  t.is(await metric('latch_feed_revocations_total', { kind: 'user_version' }), 0)

  await until(async () => (await metric('latch_feed_webhook_deliveries_total', { result: 'delivered' })) >= 1, 10_000)
  t.is(await metric('latch_feed_webhook_deliveries_total', { result: 'delivered' }), 1)
  t.is(await metric('latch_feed_webhook_deliveries_total', { result: 'failed' }), 1)
  t.is(attempts, 2)

  reader.close()
  await until(async () => (await metric('latch_feed_streams')) === 0)
  t.pass('a closed stream is no longer counted')
})
