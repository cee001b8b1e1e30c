import test from 'ava'
import { generateStaticKeyVariables } from '../../src/keys/load-keys.js'
import { asUser } from '../helpers/admin.js'
import { PROVIDERS } from '../helpers/databases.js'
import { eachDatabase } from '../helpers/each-database.js'
import { adminSession, registerAndLogin, TestLatch } from '../helpers/latch.js'

/** POST /admin/keys/rotate: an admin adds a signing key, recorded in the audit trail. */

eachDatabase((provider, server) => {
  // Serial: each compares the keys before and after its own rotation.
  test.serial(`${provider}: an admin rotates the signing key: the new key is published at once and audited in the same transaction`, async (t) => {
    const admin = await adminSession(server())
    const before = server().latch.keyRing.kids
    const response = await asUser(server(), admin).post('/admin/keys/rotate', { alg: 'ES256' })
    t.is(response.status, 201, response.text)
    t.like(response.body, { alg: 'ES256', state: 'pending', retires_at: null })
    t.deepEqual(response.body.retiring.map((entry: { kid: string }) => entry.kid).sort(), [...before].sort())
    t.is(response.headers.get('cache-control'), 'no-store')

    const jwks = (await server().get('/.well-known/jwks.json')).body.keys as Array<{ kid: string; alg: string }>
    t.like(
      jwks.find((key) => key.kid === response.body.kid),
      { alg: 'ES256' },
    )
    t.true(before.includes(server().latch.keyRing.active.kid), 'the old key still signs while the new one is pending')

    const [audited] = await server().latch.database.prisma.auditEvent.findMany({ where: { type: 'signing_key_added', actorId: admin.userId } })
    t.truthy(audited)
    t.like(JSON.parse(audited!.detail!), { kid: response.body.kid, alg: 'ES256', activatesAt: response.body.activates_at, retiring: before.join(' ') })
    const row = await server().latch.database.prisma.signingKey.findUniqueOrThrow({ where: { kid: response.body.kid } })
    t.deepEqual(row.createdAt, audited!.createdAt)
  })

  test.serial(`${provider}: without a body the configured algorithm is used; an unknown algorithm or field is 400`, async (t) => {
    const admin = await adminSession(server())
    const plain = await server().request('POST', '/admin/keys/rotate', { headers: { authorization: `Bearer ${admin.accessToken}` } })
    t.is(plain.status, 201, plain.text)
    t.is(plain.body.alg, 'EdDSA')
    for (const body of [{ alg: 'HS256' }, { alg: 'none' }, { kid: 'mine' }]) {
      const refused = await asUser(server(), admin).post('/admin/keys/rotate', body)
      t.is(refused.status, 400, JSON.stringify(body))
      t.is(refused.body.error, 'invalid_request')
    }
  })

  test(`${provider}: only admins may rotate`, async (t) => {
    const user = await registerAndLogin(server())
    const response = await asUser(server(), user).post('/admin/keys/rotate', {})
    t.is(response.status, 403)
    t.is(response.body.error, 'forbidden')
    t.is(await server().latch.database.prisma.auditEvent.count({ where: { type: 'signing_key_added', actorId: user.userId } }), 0, 'nothing was added')
    t.is((await server().post('/admin/keys/rotate', {})).status, 401)
  })
})

for (const provider of PROVIDERS) {
  test(`${provider}: with keys fixed by configuration, rotation is refused with 409 key_rotation_unavailable`, async (t) => {
    const server = await TestLatch.start(provider, { env: { ...(await generateStaticKeyVariables('EdDSA')), LATCH_KEY_ENCRYPTION_KEY: '' } })
    t.teardown(() => server.close())
    const admin = await adminSession(server)
    const response = await asUser(server, admin).post('/admin/keys/rotate', {})
    t.is(response.status, 409)
    t.is(response.body.error, 'key_rotation_unavailable')
    t.is(await server.latch.database.prisma.signingKey.count(), 0, 'static keys are never stored')
  })
}
