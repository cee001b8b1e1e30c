import { createHash } from 'node:crypto'
import test from 'ava'
import { OPERATOR_CONTEXT } from '../../../src/domain/core.js'
import { connect } from '../../../src/storage/connect.js'
import { migrate } from '../../../src/storage/migrate.js'
import { freshDatabase, PROVIDERS } from '../../helpers/databases.js'
import { eachDatabase } from '../../helpers/each-database.js'
import { TestLatch } from '../../helpers/latch.js'

/** Registered clients: creation with a one-time secret, and the configured first-party client. */

eachDatabase((provider, server) => {
  test(`${provider}: a confidential client gets a 256-bit secret once; only its SHA-256 is stored, and the audit trail has neither`, async (t) => {
    const { client, secret } = await server().latch.core.createClient({ name: 'Orders API', type: 'confidential', audience: 'https://orders.example.com', scope: 'orders:read' }, OPERATOR_CONTEXT)
    t.regex(secret!, /^latch_cs_[A-Za-z0-9_-]{43}$/)
    const prisma = server().latch.database.prisma
    const row = await prisma.client.findUniqueOrThrow({ where: { id: client.id } })
    t.like(row, { name: 'Orders API', type: 'confidential', audience: 'https://orders.example.com', scopes: 'orders:read', allowedOrigins: '[]', disabledAt: null })
    t.is(row.secretHash, createHash('sha256').update(secret!).digest('base64url'))
    const events = await prisma.auditEvent.findMany({ where: { type: 'client_created', detail: { contains: client.id } } })
    t.is(events.length, 1)
    t.is(events[0]!.actorId, 'cli')
    t.deepEqual(JSON.parse(events[0]!.detail!), { clientId: client.id, name: 'Orders API', type: 'confidential', audience: 'https://orders.example.com', scope: 'orders:read' })
    t.false(events[0]!.detail!.includes(secret!.slice('latch_cs_'.length)) || events[0]!.detail!.includes(row.secretHash!))
  })

  test(`${provider}: a public client has no secret and takes Latch's audience and scope unless told otherwise`, async (t) => {
    const { client, secret } = await server().latch.core.createClient({ name: 'Web', type: 'public', allowedOrigins: ['https://app.example.com', 'http://localhost:5173'] }, OPERATOR_CONTEXT)
    t.is(secret, null)
    t.like(client, { type: 'public', secretHash: null, audience: 'latch', scope: 'api' })
    const stored = await server().latch.core.authenticateClient({ method: 'none', clientId: client.id })
    t.deepEqual(stored.allowedOrigins, ['https://app.example.com', 'http://localhost:5173'])
  })

  test(`${provider}: registrations are validated in the domain and nothing is stored when they fail`, async (t) => {
    const prisma = server().latch.database.prisma
    // Other tests of this file register clients meanwhile: count only what these attempts could have stored.
    const theirs = { name: { in: ['ok', '  ', 'x'.repeat(101)] } }
    const before = await prisma.client.count({ where: theirs })
    const bad = [
      { name: '  ', type: 'public' as const },
      { name: 'x'.repeat(101), type: 'public' as const },
      { name: 'ok', type: 'public' as const, audience: 'has space' },
      { name: 'ok', type: 'public' as const, scope: 'a  b' },
      { name: 'ok', type: 'public' as const, scope: 'quote"d' },
      { name: 'ok', type: 'public' as const, allowedOrigins: ['https://app.example.com/'] },
      { name: 'ok', type: 'public' as const, allowedOrigins: ['app.example.com'] },
      { name: 'ok', type: 'public' as const, allowedOrigins: ['ftp://files.example.com'] },
    ]
    for (const input of bad) {
      const error = await t.throwsAsync(server().latch.core.createClient(input, OPERATOR_CONTEXT))
      t.is((error as { code?: string }).code, 'invalid_request', JSON.stringify(input).slice(0, 60))
    }
    t.is(await prisma.client.count({ where: theirs }), before)
  })

  test(`${provider}: authentication compares secrets and refuses unknown, disabled and mismatched clients alike`, async (t) => {
    const core = server().latch.core
    const { client, secret } = await core.createClient({ name: 'svc', type: 'confidential' }, OPERATOR_CONTEXT)
    t.is((await core.authenticateClient({ method: 'client_secret_basic', clientId: client.id, secret: secret! })).id, client.id)
    t.is((await core.authenticateClient({ method: 'client_secret_post', clientId: client.id, secret: secret! }, { confidentialOnly: true })).id, client.id)
    const refused = [
      core.authenticateClient({ method: 'client_secret_basic', clientId: client.id, secret: secret!.slice(0, -1) + (secret!.endsWith('A') ? 'B' : 'A') }),
      core.authenticateClient({ method: 'none', clientId: client.id }),
      core.authenticateClient({ method: 'client_secret_post', clientId: 'unknown', secret: secret! }),
      core.authenticateClient({ method: 'none', clientId: 'latch-web' }, { confidentialOnly: true }),
      core.authenticateClient({ method: 'client_secret_post', clientId: 'latch-web', secret: '' }),
    ]
    for (const attempt of refused) t.is(((await t.throwsAsync(attempt)) as { code?: string }).code, 'invalid_client')
    await server().latch.database.prisma.client.update({ where: { id: client.id }, data: { disabledAt: new Date() } })
    const disabled = await t.throwsAsync(core.authenticateClient({ method: 'client_secret_basic', clientId: client.id, secret: secret! }))
    t.is((disabled as { code?: string }).code, 'invalid_client')
  })

  test(`${provider}: the configured first-party client exists after start, once`, async (t) => {
    const prisma = server().latch.database.prisma
    t.like(await prisma.client.findUniqueOrThrow({ where: { id: 'latch-web' } }), { type: 'public', audience: 'latch', scopes: 'api', secretHash: null })
    const created = await prisma.auditEvent.findMany({ where: { type: 'client_created', detail: { contains: '"clientId":"latch-web"' } } })
    t.is(created.length, 1)
    t.is(created[0]!.actorId, null, 'created by configuration, not by anyone')
  })
})

for (const provider of PROVIDERS) {
  test(`${provider}: replicas starting at once ensure one first-party client, and a changed configuration is carried over`, async (t) => {
    const database = await freshDatabase(provider)
    t.teardown(() => database.drop())
    const migrated = connect(database.url)
    await migrate(migrated)
    await migrated.close()

    const replicas = await Promise.all([0, 1, 2].map(() => TestLatch.start(provider, { databaseUrl: database.url })))
    await Promise.all(replicas.map((replica) => replica.close()))
    const check = connect(database.url)
    t.teardown(() => check.close())
    t.is(await check.prisma.client.count(), 1)
    t.is(await check.prisma.auditEvent.count({ where: { type: 'client_created' } }), 1, 'the losers rolled their audit record back with their insert')

    // Two replicas start with a changed configuration: it is carried over, and audited once.
    const env = { LATCH_AUDIENCE: 'https://api.example.com', LATCH_SCOPE: 'api profile' }
    const changed = await Promise.all([0, 1].map(() => TestLatch.start(provider, { databaseUrl: database.url, env })))
    await Promise.all(changed.map((replica) => replica.close()))
    t.like(await check.prisma.client.findUniqueOrThrow({ where: { id: 'latch-web' } }), { type: 'public', audience: 'https://api.example.com', scopes: 'api profile' })
    t.is(await check.prisma.auditEvent.count({ where: { type: 'client_created' } }), 1)
    const updates = await check.prisma.auditEvent.findMany({ where: { type: 'client_updated' } })
    t.is(updates.length, 1, 'one change, one record, however many replicas made it')
    t.is(updates[0]!.actorId, null, 'made by configuration, not by anyone')
    t.deepEqual(JSON.parse(updates[0]!.detail!), {
      clientId: 'latch-web',
      source: 'configuration',
      fromAudience: 'latch',
      toAudience: 'https://api.example.com',
      fromScope: 'api',
      toScope: 'api profile',
    })
    const again = await TestLatch.start(provider, { databaseUrl: database.url, env })
    await again.close()
    t.is(await check.prisma.auditEvent.count({ where: { type: 'client_updated' } }), 1, 'an unchanged configuration records nothing')
  })

  test(`${provider}: Latch refuses to start when LATCH_CLIENT_ID names a confidential client, and leaves that client as it was`, async (t) => {
    const database = await freshDatabase(provider)
    t.teardown(() => database.drop())
    const first = await TestLatch.start(provider, { databaseUrl: database.url })
    const { client, secret } = await first.latch.core.createClient({ name: 'Orders API', type: 'confidential', audience: 'https://orders.example.com', scope: 'orders' }, OPERATOR_CONTEXT)
    await first.close()

    const error = await t.throwsAsync(TestLatch.start(provider, { databaseUrl: database.url, env: { LATCH_CLIENT_ID: client.id } }))
    t.regex(error!.message, new RegExp(`^LATCH_CLIENT_ID "${client.id}" is a registered confidential client`))
    t.false(error!.message.includes(secret!))
    const check = connect(database.url)
    t.teardown(() => check.close())
    t.like(await check.prisma.client.findUniqueOrThrow({ where: { id: client.id } }), {
      type: 'confidential',
      secretHash: client.secretHash,
      audience: 'https://orders.example.com',
      scopes: 'orders',
    })
    t.is(await check.prisma.auditEvent.count({ where: { type: { in: ['client_updated'] } } }), 0)
  })
}
