import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseEnv } from 'node:util'
import test, { type ExecutionContext } from 'ava'
import { createLocalJWKSet, importJWK, jwtVerify, SignJWT, type JWK } from 'jose'
import { loadConfig } from '../../src/config.js'
import { PasswordHasher } from '../../src/domain/users/password-hasher.js'
import { loadKeys } from '../../src/keys/load-keys.js'
import { connect } from '../../src/storage/connect.js'
import { latchCli, type CliRun } from '../helpers/cli.js'
import { freshDatabase, PROVIDERS, type Provider, type TestDatabase } from '../helpers/databases.js'
import { PASSWORD, TestLatch, uniqueEmail } from '../helpers/latch.js'

/**
 * The operator's CLI, run as a real process against a real database: each command prints one line
 * and exits 0, or prints one line to stderr (never a stack trace) and exits non-zero.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')



/** A fresh database and a keys file path for one test, removed afterwards. */
async function workspace(t: ExecutionContext, provider: Provider) {
  const directory = mkdtempSync(join(tmpdir(), 'latch-cli-'))
  const database: TestDatabase = await freshDatabase(provider)
  const env = { DATABASE_URL: database.url, LATCH_KEYS_FILE: join(directory, 'keys.json') }
  t.teardown(async () => {
    await database.drop()
    rmSync(directory, { recursive: true, force: true })
  })
  return { database, env, run: (...args: string[]) => latchCli(args, env) }
}

function assertSuccess(t: ExecutionContext, run: CliRun, line: RegExp): string {
  t.is(run.code, 0, run.stderr)
  t.is(run.stderr, '')
  t.regex(run.stdout, /^[^\n]+\n$/, 'exactly one line on stdout')
  t.regex(run.stdout.trimEnd(), line)
  return run.stdout.trimEnd()
}

function assertFailure(t: ExecutionContext, run: CliRun, reason: RegExp): void {
  t.not(run.code, 0)
  t.not(run.code, null, 'it exited rather than being killed')
  t.is(run.stdout, '')
  t.regex(run.stderr, /^latch: [^\n]+\n$/, `exactly one line on stderr, got: ${run.stderr}`)
  t.regex(run.stderr, reason)
  t.notRegex(run.stderr, /\bat \S+ \(|\bat (file|node):|node_modules|\.ts:\d+/, 'no stack trace')
}

async function usersIn(database: TestDatabase) {
  const db = connect(database.url)
  try {
    return await db.prisma.user.findMany({ select: { id: true, email: true, role: true, lockedAt: true, lockReason: true } })
  } finally {
    await db.close()
  }
}

for (const provider of PROVIDERS) {
  test(`${provider}: create-user creates a user, or with --admin an admin, once per email`, async (t) => {
    const { database, run } = await workspace(t, provider)
    const email = uniqueEmail('cli')
    const adminEmail = uniqueEmail('cli-admin')
    const user = assertSuccess(t, await run('create-user', '--email', email, '--password', PASSWORD), new RegExp(`^created user ${literal(email)} \\((${UUID})\\)$`))
    const admin = assertSuccess(
      t,
      await run('create-user', '--email', adminEmail, '--password', PASSWORD, '--admin'),
      new RegExp(`^created admin ${literal(adminEmail)} \\((${UUID})\\)$`),
    )
    // The same email again, in another case and asking for more: refused with a one-line reason.
    assertFailure(t, await run('create-user', '--email', email.toUpperCase(), '--password', 'another password', '--admin'), /email_taken/)

    const rows = await usersIn(database)
    t.is(rows.length, 2)
    t.like(rows.find((row) => row.email === email), { role: 'user', id: user.match(UUID)![0] })
    t.like(rows.find((row) => row.email === adminEmail), { role: 'admin', id: admin.match(UUID)![0] })
  })

  test(`${provider}: lock refuses the account's refresh tokens and logins; unlock lets it log in again`, async (t) => {
    const { database, env, run } = await workspace(t, provider)
    // A server on the same database and key file, as an operator would run them side by side.
    const server = await TestLatch.start(provider, {
      databaseUrl: database.url,
      env: { LATCH_KEYS_FILE: env.LATCH_KEYS_FILE, LATCH_KEY_ENCRYPTION_KEY: '', LATCH_REFRESH_TOKEN_KEY: '' },
    })
    t.teardown(() => server.close())
    const email = uniqueEmail('lock')
    t.is((await server.post('/register', { email, password: PASSWORD })).status, 201)
    const before = await server.post('/login', { email, password: PASSWORD })
    t.is(before.status, 200, before.text)

    assertSuccess(t, await run('lock', '--email', email, '--reason', 'suspected account takeover'), new RegExp(`^locked ${literal(email)} \\(${UUID}\\)$`))
    const refresh = await server.post('/refresh', { refresh_token: before.body.refresh_token })
    t.is(refresh.status, 401, refresh.text)
    t.is(refresh.body.error, 'invalid_grant')
    const me = await server.get('/me', before.body.access_token)
    t.is(me.status, 401, 'the live check refuses the access token of a locked account')
    const login = await server.post('/login', { email, password: PASSWORD })
    t.is(login.status, 403, login.text)
    t.is(login.body.error, 'account_locked')
    t.like((await usersIn(database))[0], { lockReason: 'suspected account takeover' })

    assertSuccess(t, await run('unlock', '--email', email), new RegExp(`^unlocked ${literal(email)} \\(${UUID}\\)$`))
    const after = await server.post('/login', { email, password: PASSWORD })
    t.is(after.status, 200, after.text)
    const old = await server.post('/refresh', { refresh_token: before.body.refresh_token })
    t.is(old.status, 401, 'sessions from before the lock stay dead')
  })

  test(`${provider}: migrate applies the migrations to a fresh database, and then says it is up to date`, async (t) => {
    const { database, run } = await workspace(t, provider)
    const migrations = readdirSync(join(ROOT, 'prisma', 'migrations', provider))
      .filter((name) => statSync(join(ROOT, 'prisma', 'migrations', provider, name)).isDirectory())
      .sort()
    t.true(migrations.length > 0)
    const first = assertSuccess(t, await run('migrate'), /^applied \d+ migration\(s\): /)
    t.is(first, `applied ${migrations.length} migration(s): ${migrations.join(', ')}`)
    assertSuccess(t, await run('migrate'), /^database is up to date$/)
    t.deepEqual(await usersIn(database), [], 'the schema exists (and is empty)')
  })
}

test('sqlite: lock of an unknown email fails with a one-line reason', async (t) => {
  const { run } = await workspace(t, 'sqlite')
  assertFailure(t, await run('lock', '--email', uniqueEmail('ghost'), '--reason', 'nobody'), /not_found/)
})

test('sqlite: usage mistakes (a missing option, an unknown option, a bad choice) fail with a one-line reason, not the help', async (t) => {
  const { run } = await workspace(t, 'sqlite')
  const cases: [string[], RegExp][] = [
    [['lock'], /^latch: required option '--email <email>' not specified\n$/],
    [['create-user', '--email', 'ada@example.com', '--password', PASSWORD, '--colour', 'blue'], /^latch: unknown option '--colour'\n$/],
    [['set-role', '--email', 'ada@example.com', '--role', 'owner'], /^latch: option '--role <role>' argument 'owner' is invalid\. Allowed choices are user, admin\.\n$/],
  ]
  // One at a time: this file already starts many processes at once.
  for (const [args, reason] of cases) {
    const result = await run(...args)
    assertFailure(t, result, reason)
    t.notRegex(result.stderr, /Usage:|Options:/, `${args.join(' ')}: no help text`)
  }
})

test('sqlite: create-user with a 3-character password fails, and creates nothing', async (t) => {
  const { database, run } = await workspace(t, 'sqlite')
  assertFailure(t, await run('create-user', '--email', uniqueEmail('short'), '--password', 'abc'), /invalid_request: password must be between 8 and 256 characters/)
  t.deepEqual(await usersIn(database), [])
})

test('sqlite: generate-keys prints LATCH_KEY_ENCRYPTION_KEY, LATCH_REFRESH_TOKEN_KEY and LATCH_SIGNING_ALG that a production config accepts', async (t) => {
  const run = await latchCli(['generate-keys', '--alg', 'ES256'], {})
  t.is(run.code, 0, run.stderr)
  t.is(run.stderr, '')
  const lines = run.stdout.trimEnd().split('\n')
  t.deepEqual(lines.map((line) => line.split('=')[0]), ['LATCH_KEY_ENCRYPTION_KEY', 'LATCH_REFRESH_TOKEN_KEY', 'LATCH_SIGNING_ALG'])
  // Read back as `npx latch generate-keys >> .env` would be.
  const variables = parseEnv(run.stdout)
  const config = loadConfig({
    NODE_ENV: 'production',
    LATCH_ISSUER: 'https://auth.example.com',
    LATCH_KEY_ENCRYPTION_KEY: variables.LATCH_KEY_ENCRYPTION_KEY,
    LATCH_REFRESH_TOKEN_KEY: variables.LATCH_REFRESH_TOKEN_KEY,
    LATCH_SIGNING_ALG: variables.LATCH_SIGNING_ALG,
  })
  t.is(config.keys.source.kind, 'environment')
  t.is(config.keys.algorithm, 'ES256')
  const material = await loadKeys(config.keys.source)
  t.is(material.refreshTokenKey.length, 32)
  t.is(material.mode === 'database' ? material.keyEncryptionKey.length : 0, 32)
})

test('sqlite: generate-keys --static prints LATCH_SIGNING_KEYS and LATCH_REFRESH_TOKEN_KEY that a production config accepts', async (t) => {
  const run = await latchCli(['generate-keys', '--static'], {})
  t.is(run.code, 0, run.stderr)
  t.is(run.stderr, '')
  const lines = run.stdout.trimEnd().split('\n')
  t.deepEqual(lines.map((line) => line.split('=')[0]), ['LATCH_SIGNING_KEYS', 'LATCH_REFRESH_TOKEN_KEY'])
  const variables = parseEnv(run.stdout)
  const config = loadConfig({
    NODE_ENV: 'production',
    LATCH_ISSUER: 'https://auth.example.com',
    LATCH_SIGNING_KEYS: variables.LATCH_SIGNING_KEYS,
    LATCH_REFRESH_TOKEN_KEY: variables.LATCH_REFRESH_TOKEN_KEY,
  })
  t.is(config.keys.source.kind, 'static')
  const material = await loadKeys(config.keys.source)
  if (material.mode !== 'static') return t.fail('expected static keys')
  const { keyRing, refreshTokenKey } = material
  t.is(refreshTokenKey.length, 32)

  // The private key printed and the public key Latch publishes are one pair.
  const privateJwk = (JSON.parse(variables.LATCH_SIGNING_KEYS!) as { keys: JWK[] }).keys[0]!
  t.is(privateJwk.alg, 'EdDSA')
  t.false(keyRing.jwks.keys.some((key) => 'd' in key), 'no private part is published')
  const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: privateJwk.kid! }).sign(await importJWK(privateJwk, 'EdDSA'))
  await t.notThrowsAsync(jwtVerify(jwt, createLocalJWKSet(keyRing.jwks)))
})

test('create-user --password-stdin reads the password from standard input, keeping it off the command line', async (t) => {
  const { database, env } = await workspace(t, 'sqlite')
  const email = uniqueEmail('cli-stdin')
  const piped = await latchCli(['create-user', '--email', email, '--password-stdin'], env, { input: `${PASSWORD}\nignored second line\n` })
  assertSuccess(t, piped, new RegExp(`^created user ${literal(email)} \\(${UUID}\\)$`))
  const db = connect(database.url)
  const { passwordHash } = await db.prisma.user.findUniqueOrThrow({ where: { email } }).finally(() => db.close())
  t.true(await new PasswordHasher().verify(passwordHash, PASSWORD), 'the first line, without its newline, is the password')

  assertFailure(t, await latchCli(['create-user', '--email', uniqueEmail('cli-none')], env), /one of '--password <password>' or '--password-stdin' is required/)
  assertFailure(t, await latchCli(['create-user', '--email', uniqueEmail('cli-both'), '--password', PASSWORD, '--password-stdin'], env, { input: PASSWORD }), /cannot be used with/)
})
