import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import test from 'ava'
import { decodeJwt } from 'jose'
import { PROVIDERS } from '../helpers/databases.js'
import { createEdge, verifySet } from '../helpers/feed.js'
import { registerAndLogin, TEST_ISSUER, TestLatch } from '../helpers/latch.js'

/**
 * Webhook delivery (in the spirit of RFC 8935): every SET is POSTed as application/secevent+jwt,
 * in cursor order, one at a time; a receiver that fails is retried with backoff and nothing after
 * the failed SET overtakes it.
 */

interface Received {
  contentType: string | undefined
  body: string
}

/** A real receiver on a real port; `answer` decides each response's status. */
async function receiver(answer: (attempt: number) => number) {
  const received: Received[] = []
  let attempts = 0
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      attempts += 1
      const status = answer(attempts)
      if (status < 300) received.push({ contentType: request.headers['content-type'], body })
      response.writeHead(status).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    attempts: () => attempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

for (const provider of PROVIDERS) {
  test(`${provider}: each revocation is pushed as a signed SET, in order, starting from the retained log`, async (t) => {
    const server = await TestLatch.start(provider)
    t.teardown(() => server.close())
    const early = await registerAndLogin(server)
    await server.post('/logout', { refresh_token: early.refreshToken })
    const hook = await receiver(() => 202)
    t.teardown(() => hook.close())
    await createEdge(server, { webhookUrl: hook.url })

    await until(() => hook.received.length >= 1, 5000)
    t.true(JSON.stringify(decodeJwt(hook.received[0]!.body).sub_id).includes(early.userId), 'a new receiver gets the revocations still in force')
    const later = await registerAndLogin(server)
    await server.post('/logout-all', undefined, { authorization: `Bearer ${later.accessToken}` })
    await until(() => hook.received.some((entry) => JSON.stringify(decodeJwt(entry.body).sub_id).includes(later.userId)), 5000)

    for (const entry of hook.received) {
      t.is(entry.contentType, 'application/secevent+jwt')
      await verifySet(server, entry.body, TEST_ISSUER)
    }
    const cursors = hook.received.map((entry) => Number(decodeJwt(entry.body).jti))
    t.deepEqual(cursors, [...cursors].sort((a, b) => a - b), 'in cursor order')
    t.is(new Set(cursors).size, cursors.length, 'each once')
  })

  test(`${provider}: a failing receiver is retried with backoff, and later SETs wait for the failed one`, async (t) => {
    const server = await TestLatch.start(provider)
    t.teardown(() => server.close())
    // Fails its first two attempts (then the backoff is 1 s, then 2 s), then acknowledges.
    const hook = await receiver((attempt) => (attempt <= 2 ? 503 : 202))
    t.teardown(() => hook.close())
    const edge = await createEdge(server, { webhookUrl: hook.url })
    const users = [await registerAndLogin(server), await registerAndLogin(server)]
    for (const user of users) await server.post('/logout', { refresh_token: user.refreshToken })

    await until(() => hook.received.length >= 2, 15_000)
    t.true(hook.attempts() >= 4, 'two failures, then both SETs')
    const order = hook.received.map((entry) => (decodeJwt(entry.body).sub_id as { user: { sub: string } }).user.sub)
    t.deepEqual(order.slice(0, 2), users.map((user) => user.userId), 'the first SET is redelivered before the second is sent')
    // The receiver has answered; Latch records the acknowledgement just after. Wait for it.
    const lastCursor = Number(decodeJwt(hook.received.at(-1)!.body).jti)
    const readRow = () => server.latch.database.prisma.feedWebhook.findUniqueOrThrow({ where: { clientId: edge.clientId } })
    let row = await readRow()
    for (const deadline = Date.now() + 5000; (row.cursor !== lastCursor || row.leaseOwner !== null) && Date.now() < deadline; row = await readRow()) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    t.is(row.cursor, lastCursor, 'the cursor is the last acknowledged SET')
    t.is(row.failures, 0, 'an acknowledgement clears the failure count')
    t.is(row.leaseOwner, null, 'and the lease is released')
  })
}

test('a webhook must be https (http only to this machine) and belongs to confidential clients only', async (t) => {
  const server = await TestLatch.start(PROVIDERS[0]!)
  t.teardown(() => server.close())
  for (const webhookUrl of ['http://receiver.example.com/hook', 'ftp://receiver.example.com/', 'https://user:secret@receiver.example.com/hook', 'not a url']) {
    const error = await t.throwsAsync(createEdge(server, { webhookUrl }))
    t.is((error as { code?: string }).code, 'invalid_request', webhookUrl)
  }
  const { OPERATOR_CONTEXT } = await import('../../src/domain/core.js')
  const error = await t.throwsAsync(server.latch.core.createClient({ name: 'app', type: 'public', webhookUrl: 'https://receiver.example.com/hook' }, OPERATOR_CONTEXT))
  t.is((error as { code?: string }).code, 'invalid_request')
})
