import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test, { type ExecutionContext } from 'ava'
import { connect } from '../../src/storage/connect.js'
import { latchCli, type CliRun } from '../helpers/cli.js'
import { freshDatabase, PROVIDERS, type Provider } from '../helpers/databases.js'

/** `latch create-client`, run as a real process: one line (or JSON) out, the secret shown once. */

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'


async function workspace(t: ExecutionContext, provider: Provider) {
  const directory = mkdtempSync(join(tmpdir(), 'latch-cli-clients-'))
  const database = await freshDatabase(provider)
  const env = { DATABASE_URL: database.url, LATCH_KEYS_FILE: join(directory, 'keys.json') }
  const db = connect(database.url)
  t.teardown(async () => {
    await db.close()
    await database.drop()
    rmSync(directory, { recursive: true, force: true })
  })
  return { prisma: db.prisma, run: (...args: string[]) => latchCli(args, env) }
}

for (const provider of PROVIDERS) {
  test(`${provider}: create-client registers a confidential client and prints its secret once, in one line`, async (t) => {
    const { prisma, run } = await workspace(t, provider)
    const result = await run('create-client', '--name', 'Orders API', '--type', 'confidential', '--audience', 'https://orders.example.com', '--scope', 'orders:read')
    t.is(result.code, 0, result.stderr)
    t.is(result.stderr, '')
    const match = new RegExp(`^created confidential client "Orders API": client_id=(${UUID}) client_secret=(latch_cs_[A-Za-z0-9_-]{43}) \\(shown once: store it now\\)\\n$`).exec(result.stdout)
    t.truthy(match, result.stdout)
    const [, clientId, secret] = match!
    const row = await prisma.client.findUniqueOrThrow({ where: { id: clientId! } })
    t.like(row, { type: 'confidential', audience: 'https://orders.example.com', scopes: 'orders:read' })
    t.is(row.secretHash, createHash('sha256').update(secret!).digest('base64url'))
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { type: 'client_created', actorId: 'cli' } })
    t.false(event.detail!.includes(secret!))
  })

  test(`${provider}: create-client --json prints the client, and refuses bad input with one line`, async (t) => {
    const { prisma, run } = await workspace(t, provider)
    const result = await run('create-client', '--name', 'Web', '--type', 'public', '--origin', 'https://app.example.com', '--origin', 'http://localhost:5173', '--json')
    t.is(result.code, 0, result.stderr)
    const printed = JSON.parse(result.stdout)
    t.like(printed, { name: 'Web', type: 'public', audience: 'latch', scope: 'api', allowed_origins: ['https://app.example.com', 'http://localhost:5173'] })
    t.false('client_secret' in printed, 'a public client has no secret')
    t.like(await prisma.client.findUniqueOrThrow({ where: { id: printed.client_id } }), { allowedOrigins: '["https://app.example.com","http://localhost:5173"]', secretHash: null })

    for (const args of [
      ['--name', 'x', '--type', 'secretive'],
      ['--name', 'x', '--type', 'public', '--origin', 'https://app.example.com/path'],
    ]) {
      const refused = await run('create-client', ...args)
      t.not(refused.code, 0, args.join(' '))
      t.is(refused.stdout, '')
      t.regex(refused.stderr, /^(latch: |error: )[^\n]+\n/, refused.stderr)
      t.notRegex(refused.stderr, /\.ts:\d+/, 'no stack trace')
    }
    t.is(await prisma.client.count(), 2, 'the first-party client and Web only')
  })
}

for (const provider of PROVIDERS) {
  test(`${provider}: disable-client disables a client in one line, and says so when it already was`, async (t) => {
    const { prisma, run } = await workspace(t, provider)
    const created = JSON.parse((await run('create-client', '--name', 'Old app', '--type', 'public', '--json')).stdout)
    const first = await run('disable-client', '--client-id', created.client_id)
    t.is(first.code, 0, first.stderr)
    t.is(first.stdout, `disabled client ${created.client_id}\n`)
    t.not((await prisma.client.findUniqueOrThrow({ where: { id: created.client_id } })).disabledAt, null)
    const again = await run('disable-client', '--client-id', created.client_id, '--json')
    t.deepEqual(JSON.parse(again.stdout), { client_id: created.client_id, disabled: true, changed: false })
    const unknown = await run('disable-client', '--client-id', 'no-such-client')
    t.is(unknown.code, 1)
    t.regex(unknown.stderr, /^latch: not_found: .+\n$/)
  })
}

