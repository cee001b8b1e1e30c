import test from 'ava'
import { decodeJwt } from 'jose'
import { eachDatabase } from '../helpers/each-database.js'
import { PASSWORD, uniqueEmail } from '../helpers/latch.js'
import { loginForClient, registerClient } from '../helpers/oauth.js'

/** POST /login with a client_id: sessions of registered public clients carry their audience and scope. */

eachDatabase((provider, server) => {
  test(`${provider}: a session started for a registered public client carries its client_id, audience and scope`, async (t) => {
    const app = await registerClient(server(), { type: 'public', audience: 'https://shop.example.com', scope: 'cart orders' })
    const user = await loginForClient(server(), app.clientId)
    t.like(decodeJwt(user.accessToken), { client_id: app.clientId, aud: 'https://shop.example.com', scope: 'cart orders' })
    const session = await server().latch.database.prisma.session.findUniqueOrThrow({ where: { id: decodeJwt(user.accessToken).sid as string } })
    t.like(session, { clientId: app.clientId, audience: 'https://shop.example.com', scope: 'cart orders' })
    const refreshed = await server().post('/refresh', { refresh_token: user.refreshToken })
    t.like(decodeJwt(refreshed.body.access_token), { client_id: app.clientId, aud: 'https://shop.example.com' }, 'fixed for the life of the session')
  })

  test(`${provider}: /login refuses unknown and disabled clients (invalid_client) and confidential ones (unauthorized_client), before any password check`, async (t) => {
    const email = uniqueEmail()
    await server().post('/register', { email, password: PASSWORD })
    const service = await registerClient(server(), { type: 'confidential' })
    const disabled = await registerClient(server(), { type: 'public' })
    await server().latch.database.prisma.client.update({ where: { id: disabled.clientId }, data: { disabledAt: new Date() } })

    const unknown = await server().post('/login', { email, password: PASSWORD, client_id: 'no-such-client' })
    t.is(unknown.status, 401)
    t.deepEqual(unknown.body, { error: 'invalid_client', error_description: 'Client authentication failed.' })
    t.is(unknown.headers.get('www-authenticate'), 'Basic realm="latch"', 'RFC 7235: a 401 always names a scheme')
    t.is((await server().post('/login', { email, password: PASSWORD, client_id: disabled.clientId })).body.error, 'invalid_client')
    const confidential = await server().post('/login', { email, password: PASSWORD, client_id: service.clientId })
    t.is(confidential.status, 400)
    t.is(confidential.body.error, 'unauthorized_client')
    const empty = await server().post('/login', { email, password: PASSWORD, client_id: '' })
    t.is(empty.status, 400)
    t.is(empty.body.error, 'invalid_request')
    const failures = await server().latch.database.prisma.auditEvent.count({ where: { type: { in: ['login_failed', 'login_succeeded'] }, detail: { contains: email } } })
    t.is(failures, 0, 'no login was attempted')
  })
})
