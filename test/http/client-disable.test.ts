import test from 'ava'
import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import { eachDatabase } from '../helpers/each-database.js'
import { createEdge, poll } from '../helpers/feed.js'
import { basic, loginForClient, postForm, registerClient } from '../helpers/oauth.js'

/**
 * Disabling a client takes its access back: it can no longer authenticate anywhere, and the
 * sessions it started can no longer refresh, through either refresh endpoint, so nothing it
 * holds outlives one access-token lifetime. The first-party client cannot be disabled this way.
 */

eachDatabase((provider, server) => {
  test(`${provider}: a disabled public client's sessions no longer refresh, by /refresh or /oauth/token`, async (t) => {
    const app = await registerClient(server(), { type: 'public', scope: 'api' })
    const user = await loginForClient(server(), app.clientId)
    const second = await loginForClient(server(), app.clientId)
    const service = await registerClient(server(), { type: 'confidential' })
    const before = await postForm(server(), '/oauth/introspect', { token: second.refreshToken }, basic(service.clientId, service.secret!))
    t.true(before.body.active)

    t.deepEqual(await server().latch.core.disableClient({ clientId: app.clientId }, OPERATOR_CONTEXT), { disabled: true })
    const refreshed = await server().post('/refresh', { refresh_token: user.refreshToken })
    t.is(refreshed.status, 401)
    t.is(refreshed.body.error, 'invalid_grant')
    const viaOAuth = await postForm(server(), '/oauth/token', { grant_type: 'refresh_token', refresh_token: second.refreshToken, client_id: app.clientId })
    t.is(viaOAuth.status, 401)
    t.is(viaOAuth.body.error, 'invalid_client')
    const after = await postForm(server(), '/oauth/introspect', { token: second.refreshToken }, basic(service.clientId, service.secret!))
    t.deepEqual(after.body, { active: false }, 'introspection agrees')
    t.is((await server().post('/login', { email: user.email, password: 'correct horse battery staple', client_id: app.clientId })).status, 401, 'and nobody logs in through it')
  })

  test(`${provider}: a disabled edge can no longer read the feed`, async (t) => {
    const edge = await createEdge(server())
    t.is((await poll(server(), edge)).status, 200)
    await server().latch.core.disableClient({ clientId: edge.clientId }, OPERATOR_CONTEXT)
    const refused = await poll(server(), edge)
    t.is(refused.status, 401)
    t.is(refused.body.error, 'invalid_client')
  })

  test(`${provider}: disabling is audited once, an unknown client is not_found, the first-party client is refused`, async (t) => {
    const app = await registerClient(server(), { type: 'public' })
    const core = server().latch.core
    t.deepEqual(await core.disableClient({ clientId: app.clientId }, OPERATOR_CONTEXT), { disabled: true })
    t.deepEqual(await core.disableClient({ clientId: app.clientId }, OPERATOR_CONTEXT), { disabled: false }, 'twice is no error, and changes nothing')
    const events = await server().latch.database.prisma.auditEvent.findMany({ where: { type: 'client_disabled', detail: { contains: app.clientId } } })
    t.is(events.length, 1)
    t.is(events[0]!.actorId, 'cli')
    t.is((await t.throwsAsync(core.disableClient({ clientId: 'no-such-client' }, OPERATOR_CONTEXT)) as { code?: string }).code, 'not_found')
    t.is((await t.throwsAsync(core.disableClient({ clientId: 'latch-web' }, OPERATOR_CONTEXT)) as { code?: string }).code, 'invalid_request')
    t.is((await server().post('/login', { email: 'x@example.com', password: 'whatever-it-is' })).status, 401, 'the first-party client still works')
  })
})
