import test, { type ExecutionContext } from 'ava'
import { KeyEncryption } from '../../src/domain/tokens/key-encryption.js'
import { generateKeyVariables, generateStaticKeyVariables } from '../../src/keys/load-keys.js'
import { connect } from '../../src/storage/connect.js'
import { latchCli, type CliRun } from '../helpers/cli.js'
import { freshDatabase, PROVIDERS, type Provider } from '../helpers/databases.js'

/** `latch keys rotate` and `latch keys list`, run as real processes against a real database. */

const INSTANT = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z'


function succeeded(t: ExecutionContext, run: CliRun): string {
  t.is(run.code, 0, run.stderr)
  t.is(run.stderr, '')
  return run.stdout
}

interface ListedKey {
  kid: string
  alg: string
  state: string
  created_at: string
  activates_at: string
  retires_at: string | null
}

for (const provider of PROVIDERS) {
  test(`${provider}: keys list shows the first key active; keys rotate adds a pending key, schedules the old one's retirement, and prints one line`, async (t) => {
    const database = await freshDatabase(provider as Provider)
    t.teardown(() => database.drop())
    const keys = await generateKeyVariables('EdDSA')
    const env = { DATABASE_URL: database.url, ...keys }
    const run = (...args: string[]) => latchCli(args, env)

    const table = succeeded(t, await run('keys', 'list')).trimEnd().split('\n')
    t.is(table.length, 2)
    t.regex(table[0]!, /^KID\s+ALG\s+STATE\s+CREATED_AT\s+ACTIVATES_AT\s+RETIRES_AT$/)
    const [firstKid, alg, state, createdAt, activatesAt, retiresAt] = table[1]!.split(/\s+/)
    t.deepEqual({ alg, state, retiresAt }, { alg: 'EdDSA', state: 'active', retiresAt: '-' })
    t.regex(createdAt!, new RegExp(`^${INSTANT}$`))
    t.is(activatesAt, createdAt, 'the first key signs at once')
    const first = { kid: firstKid!, activatesAt: activatesAt! }

    const line = succeeded(t, await run('keys', 'rotate', '--alg', 'ES256'))
    const match = new RegExp(`^added ES256 key (\\S+): published now, signs from (${INSTANT}); ${first.kid} retires at (${INSTANT})\\n$`).exec(line)
    t.truthy(match, line)
    const [, kid, newActivatesAt, oldRetiresAt] = match!

    const listed = JSON.parse(succeeded(t, await run('keys', 'list', '--json'))) as ListedKey[]
    t.deepEqual(
      listed.map(({ kid, alg, state, activates_at, retires_at }) => ({ kid, alg, state, activates_at, retires_at })),
      [
        { kid: first.kid, alg: 'EdDSA', state: 'active', activates_at: first.activatesAt, retires_at: oldRetiresAt },
        { kid, alg: 'ES256', state: 'pending', activates_at: newActivatesAt, retires_at: null },
      ],
    )
    t.deepEqual(Object.keys(listed[0]!), ['kid', 'alg', 'state', 'created_at', 'activates_at', 'retires_at'], 'snake_case, like every other listing')
    // Defaults: published 300 s (the JWKS max-age) plus one 30 s refresh interval before it signs;
    // the old key stays for one 300 s token lifetime and 60 s of leeway after that.
    t.is(Date.parse(newActivatesAt!) - Date.parse(listed[1]!.created_at), 330_000)
    t.is(Date.parse(oldRetiresAt!) - Date.parse(newActivatesAt!), 360_000)

    // --json prints what POST /admin/keys/rotate answers.
    const rotated = JSON.parse(succeeded(t, await run('keys', 'rotate', '--json')))
    t.deepEqual(Object.keys(rotated).sort(), ['activates_at', 'alg', 'created_at', 'kid', 'retires_at', 'retiring', 'state'])
    t.like(rotated, { alg: 'EdDSA', state: 'pending', retires_at: null })
    t.deepEqual(rotated.retiring.map((entry: { kid: string }) => entry.kid), [kid], 'the key it replaces (the first one was already retiring)')
    t.regex(rotated.activates_at, new RegExp(`^${INSTANT}$`))

    // Nothing printed holds private key material, and the rotation is in the audit trail as the operator's.
    const db = connect(database.url)
    t.teardown(() => db.close())
    const encryption = new KeyEncryption(Buffer.from(keys.LATCH_KEY_ENCRYPTION_KEY!, 'base64url'))
    for (const row of await db.prisma.signingKey.findMany()) {
      const { d } = encryption.open(row.kid, row.privateJwk)
      t.false([...table, line, JSON.stringify(listed), JSON.stringify(rotated)].join('\n').includes(d!))
    }
    const audited = await db.prisma.auditEvent.findMany({ where: { type: 'signing_key_added' }, orderBy: { id: 'asc' } })
    t.deepEqual(
      audited.map((event) => [event.actorId, JSON.parse(event.detail!).kid]),
      [
        [null, first.kid],
        ['cli', kid],
        ['cli', rotated.kid],
      ],
    )
  })
}

test('sqlite: keys rotate and keys list refuse with one line when LATCH_SIGNING_KEYS fixes the keys', async (t) => {
  const database = await freshDatabase('sqlite')
  t.teardown(() => database.drop())
  const env = { DATABASE_URL: database.url, ...(await generateStaticKeyVariables('EdDSA')) }
  for (const args of [['keys', 'rotate'], ['keys', 'list', '--json']]) {
    const run = await latchCli(args, env)
    t.is(run.code, 1, args.join(' '))
    t.is(run.stdout, '')
    t.regex(run.stderr, /^latch: signing keys are fixed by LATCH_SIGNING_KEYS \(static mode\)[^\n]+\n$/)
  }
})
