import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test, { type ExecutionContext } from 'ava'
import { createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, jwtVerify, type RemoteJWKSet } from 'jose'
import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import { KeyEncryption } from '../../src/domain/tokens/key-encryption.js'
import { generateKeyVariables } from '../../src/keys/load-keys.js'
import { connect } from '../../src/storage/connect.js'
import { migrate } from '../../src/storage/migrate.js'
import { TestClock } from '../helpers/clock.js'
import { freshDatabase, PROVIDERS } from '../helpers/databases.js'
import { adminSession, registerAndLogin, TEST_ISSUER, TestLatch } from '../helpers/latch.js'

/**
 * Signing keys rotate without downtime: a new key is published before it signs, the old one stays
 * published until its last token has expired, and replicas sharing a database agree on both by
 * the keys' timestamps. The "edge" is what a resource server runs: jose's remote JWKS over real
 * HTTP, cached for exactly the max-age Latch sends and never refetched early, the worst case.
 */

const TTL = 300
const PUBLICATION_DELAY = 300
// Long enough that no real-time reload fires during a test: the tests reload replicas themselves.
const REFRESH_INTERVAL = 600
const RETIREMENT_LEEWAY = 60
const ENV = { LATCH_KEY_REFRESH_INTERVAL: String(REFRESH_INTERVAL) }

class Edge {
  readonly #jwks: RemoteJWKSet
  #fetchedAt: number | null = null
  #maxAgeSeconds = 0

  constructor(
    latch: TestLatch,
    private readonly clock: TestClock,
  ) {
    this.#jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', latch.url), {
      cacheMaxAge: Infinity,
      cooldownDuration: Infinity,
      [customFetch]: async (url, options) => {
        const response = await fetch(url, options)
        this.#maxAgeSeconds = Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1] ?? 0)
        return response
      },
    })
  }

  async refetch(): Promise<void> {
    await this.#jwks.reload()
    this.#fetchedAt = this.clock.now().getTime()
  }

  get kids(): string[] {
    return (this.#jwks.jwks()?.keys ?? []).map((key) => key.kid!)
  }

  /** Refetches only once the cached copy is max-age old, as an HTTP cache would. */
  async verify(token: string): Promise<void> {
    if (this.#fetchedAt === null || this.clock.now().getTime() - this.#fetchedAt >= this.#maxAgeSeconds * 1000) await this.refetch()
    await jwtVerify(token, this.#jwks, { issuer: TEST_ISSUER, audience: 'latch', typ: 'at+jwt', currentDate: this.clock.now() })
  }
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid
const publishedKids = async (latch: TestLatch) => ((await latch.get('/.well-known/jwks.json')).body.keys as Array<{ kid: string }>).map((key) => key.kid)
const advanceTo = (clock: TestClock, instant: Date) => clock.advance((instant.getTime() - clock.now().getTime()) / 1000)

for (const provider of PROVIDERS) {
  test(`${provider}: tokens signed before, during and after a rotation verify at an edge throughout, and two replicas agree on the signer`, async (t) => {
    const clock = new TestClock()
    const a = await TestLatch.start(provider, { clock, env: ENV })
    t.teardown(() => a.close())
    const b = await TestLatch.start(provider, { clock, env: ENV, databaseUrl: a.database!.url })
    t.teardown(() => b.close())
    // The edge's load balancer sends it to replica B, the one that learns of the new key last.
    const edge = new Edge(b, clock)
    const issued: string[] = []
    const signIn = async (latch: TestLatch) => {
      const token = (await registerAndLogin(latch)).accessToken
      issued.push(token)
      return token
    }
    const everyLiveTokenVerifies = async (phase: string) => {
      const live = issued.filter((token) => decodeJwt(token).exp! * 1000 > clock.now().getTime())
      t.true(live.length > 0)
      for (const token of live) await t.notThrowsAsync(edge.verify(token), `${phase}: token of ${kidOf(token)}`)
    }

    const old = a.latch.keyRing.active.kid
    t.is(b.latch.keyRing.active.kid, old)
    await signIn(a)
    await signIn(b)
    await everyLiveTokenVerifies('before the rotation')

    clock.advance(10)
    const admin = await adminSession(a)
    const rotated = await a.post('/admin/keys/rotate', {}, { authorization: `Bearer ${admin.accessToken}` })
    t.is(rotated.status, 201, rotated.text)
    const added: string = rotated.body.kid
    const rotatedAt = clock.now()
    const activatesAt = new Date(rotated.body.activates_at)
    const retiresAt = new Date(rotatedAt.getTime() + (PUBLICATION_DELAY + REFRESH_INTERVAL + TTL + RETIREMENT_LEEWAY) * 1000)
    t.is(activatesAt.getTime() - rotatedAt.getTime(), (PUBLICATION_DELAY + REFRESH_INTERVAL) * 1000, 'signs once replicas and caches have caught up')
    t.deepEqual(rotated.body.retiring, [{ kid: old, retires_at: retiresAt.toISOString() }])

    const jwks = await a.get('/.well-known/jwks.json')
    t.is(jwks.headers.get('cache-control'), `public, max-age=${PUBLICATION_DELAY}`)
    t.deepEqual(await publishedKids(a), [added, old], 'published at once by the replica that added it')
    t.deepEqual(await publishedKids(b), [old], 'replica B has not reloaded yet')

    // Worst case: the edge refreshes its copy from B just before B's reload, so without the new key.
    clock.advance(REFRESH_INTERVAL - 1)
    await edge.refetch()
    t.false(edge.kids.includes(added))
    clock.advance(1)
    t.true(await b.latch.keys.refresh(), "B's scheduled reload")
    t.deepEqual(await publishedKids(b), [added, old])

    // Pending: the new key is published everywhere, the old one still signs on both replicas.
    clock.advance(100)
    t.is(kidOf(await signIn(a)), old)
    t.is(kidOf(await signIn(b)), old)
    await everyLiveTokenVerifies('pending')
    advanceTo(clock, new Date(activatesAt.getTime() - 1000))
    t.is(kidOf(await signIn(a)), old, 'the last second before activation')
    await everyLiveTokenVerifies('just before activation')

    // Active: both replicas switch at the same instant, without talking to each other.
    advanceTo(clock, activatesAt)
    t.is(kidOf(await signIn(a)), added)
    t.is(kidOf(await signIn(b)), added)
    t.is(a.latch.keyRing.active.kid, b.latch.keyRing.active.kid)
    await everyLiveTokenVerifies('after activation')
    t.true(edge.kids.includes(added), 'the edge copy that lacked the key had expired before the key signed')

    // Retiring: the old key stays published until its last token has expired, then leaves.
    const lastOfOld = issued.filter((token) => kidOf(token) === old).at(-1)!
    advanceTo(clock, new Date(decodeJwt(lastOfOld).exp! * 1000 - 1000))
    await t.notThrowsAsync(edge.verify(lastOfOld), "the old key's last token, in its last second")
    await everyLiveTokenVerifies('retiring')
    advanceTo(clock, new Date(retiresAt.getTime() - 1000))
    t.deepEqual(await publishedKids(a), [added, old])
    t.deepEqual(await publishedKids(b), [added, old])
    advanceTo(clock, retiresAt)
    t.deepEqual(await publishedKids(a), [added])
    t.deepEqual(await publishedKids(b), [added], 'by time alone, without a reload')
    t.true(issued.filter((token) => kidOf(token) === old).every((token) => decodeJwt(token).exp! * 1000 < retiresAt.getTime()))
    t.is(kidOf(await signIn(b)), added)
    await everyLiveTokenVerifies('after retirement')
  })

  test(`${provider}: a replica meeting a kid it does not know yet reloads the keys and accepts the token`, async (t) => {
    const clock = new TestClock()
    const a = await TestLatch.start(provider, { clock, env: { LATCH_KEY_PUBLICATION_DELAY: '0', LATCH_KEY_REFRESH_INTERVAL: '1' } })
    t.teardown(() => a.close())
    const b = await TestLatch.start(provider, { clock, env: { LATCH_KEY_REFRESH_INTERVAL: '3600' }, databaseUrl: a.database!.url })
    t.teardown(() => b.close())
    const { key } = await a.latch.core.rotateSigningKey({ alg: 'ES256' }, OPERATOR_CONTEXT)
    advanceTo(clock, key.activatesAt)
    const user = await registerAndLogin(a)
    t.deepEqual(decodeProtectedHeader(user.accessToken), { alg: 'ES256', typ: 'at+jwt', kid: key.kid })
    t.false(b.latch.keyRing.has(key.kid))
    t.is((await b.get('/me', user.accessToken)).status, 200)
    t.true(b.latch.keyRing.has(key.kid))
  })

  test(`${provider}: the first start on an empty database stores exactly one key, active at once, even when two replicas start together`, async (t) => {
    const database = await freshDatabase(provider)
    t.teardown(() => database.drop())
    const migrating = connect(database.url)
    await migrate(migrating)
    await migrating.close()

    const replicas = await Promise.all([1, 2].map(() => TestLatch.start(provider, { databaseUrl: database.url })))
    t.teardown(() => Promise.all(replicas.map((replica) => replica.close())))
    const prisma = replicas[0]!.latch.database.prisma
    const rows = await prisma.signingKey.findMany()
    t.is(rows.length, 1)
    t.deepEqual(rows[0]!.activatesAt, rows[0]!.createdAt)
    t.is(rows[0]!.retiresAt, null)
    t.deepEqual(
      replicas.map((replica) => replica.latch.keyRing.active.kid),
      [rows[0]!.kid, rows[0]!.kid],
    )
    const audited = await prisma.auditEvent.findMany({ where: { type: 'signing_key_added' } })
    t.is(audited.length, 1)
    t.like(JSON.parse(audited[0]!.detail!), { kid: rows[0]!.kid, firstKey: true })
  })

  test(`${provider}: stored private keys are sealed, and neither the row, the JWKS nor the logs hold d`, async (t) => {
    const keys = await generateKeyVariables('EdDSA')
    const server = await TestLatch.start(provider, { env: keys })
    t.teardown(() => server.close())
    await server.latch.core.rotateSigningKey({ alg: 'ES256' }, OPERATOR_CONTEXT)
    await registerAndLogin(server)
    const encryption = new KeyEncryption(Buffer.from(keys.LATCH_KEY_ENCRYPTION_KEY!, 'base64url'))
    const rows = await server.latch.database.prisma.signingKey.findMany()
    t.is(rows.length, 2)
    const jwks = await server.get('/.well-known/jwks.json')
    for (const row of rows) {
      const { d } = encryption.open(row.kid, row.privateJwk)
      t.truthy(d)
      assertNoSecret(t, row.privateJwk, d!, `row ${row.kid}`)
      t.false(row.privateJwk.includes('"d"'))
      t.is(JSON.parse(row.publicJwk).d, undefined)
      assertNoSecret(t, jwks.text, d!, 'the JWKS')
      assertNoSecret(t, server.logs.join(''), d!, 'the logs')
    }
  })

  test(`${provider}: in development the key file holds the key-encryption and refresh-token keys, and no signing key`, async (t) => {
    const path = join(mkdtempSync(join(tmpdir(), 'latch-dev-keys-')), 'keys.json')
    // Empty variables mean "the default": no configured secrets, so the development file supplies them.
    const server = await TestLatch.start(provider, { env: { LATCH_KEY_ENCRYPTION_KEY: '', LATCH_REFRESH_TOKEN_KEY: '', LATCH_KEYS_FILE: path } })
    t.teardown(() => server.close())
    const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>
    t.deepEqual(Object.keys(file).sort(), ['keyEncryptionKey', 'refreshTokenKey'])
    const [row] = await server.latch.database.prisma.signingKey.findMany()
    const { d } = new KeyEncryption(Buffer.from(file.keyEncryptionKey!, 'base64url')).open(row!.kid, row!.privateJwk)
    assertNoSecret(t, readFileSync(path, 'utf8'), d!, 'the key file')
    t.is(server.latch.keyRing.active.kid, row!.kid, 'the signing key is the sealed one in the database')
  })

  test(`${provider}: when a reload fails the last good keys stay in force: signing and the JWKS go on, and a warning is logged`, async (t) => {
    const server = await TestLatch.start(provider, { env: ENV })
    t.teardown(() => server.close())
    const before = await server.get('/.well-known/jwks.json')
    await server.latch.database.prisma.$executeRawUnsafe('DROP TABLE signing_keys')
    t.false(await server.latch.keys.refresh())
    t.true(server.logs.some((line) => line.includes('"level":40') && line.includes('could not reload the signing keys')))
    const user = await registerAndLogin(server)
    t.is(kidOf(user.accessToken), before.body.keys[0].kid)
    t.is((await server.get('/me', user.accessToken)).status, 200)
    t.deepEqual((await server.get('/.well-known/jwks.json')).body, before.body)
  })
}

function assertNoSecret(t: ExecutionContext, text: string, secret: string, where: string): void {
  t.false(text.includes(secret), `${where} must not contain the private key`)
}
