import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import { decodeJwt } from 'jose'
import { OPERATOR_CONTEXT } from '../../src/domain/core.js'
import { freshDatabase, PROVIDERS } from '../helpers/databases.js'
import { PASSWORD, TestLatch, uniqueEmail } from '../helpers/latch.js'

/**
 * The operator's admin verbs, run as real processes against a real database, next to a real
 * server on the same database that shows their effect over HTTP. Every command starts a process
 * (about a second each), so each database gets one test that tells one story.
 */

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))
const TSX = fileURLToPath(import.meta.resolve('tsx'))

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs `latch <args>` in `cwd` (a temporary directory, so no developer's .env leaks in) with only `env` set. */
function cli(cwd: string, env: Record<string, string>, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', TSX, MAIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

for (const provider of PROVIDERS) {
  test(`${provider}: operators list, inspect, revoke, re-role and lock from the command line`, async (t) => {
    // Eight processes of about a second of CPU each: more patience than the suite's default on a busy machine.
    t.timeout(120_000)
    const database = await freshDatabase(provider)
    const directory = mkdtempSync(join(tmpdir(), 'latch-cli-'))
    const keysFile = join(directory, 'keys.json')
    // The server and the commands share one database, so they must share its keys: the server
    // creates the development key file (the keys from the environment are blanked) and every
    // command reads it.
    const noKeysFromEnvironment = { LATCH_KEY_ENCRYPTION_KEY: '', LATCH_REFRESH_TOKEN_KEY: '', LATCH_SIGNING_KEYS: '' }
    const server = await TestLatch.start(provider, { databaseUrl: database.url, env: { ...noKeysFromEnvironment, LATCH_KEYS_FILE: keysFile } })
    t.teardown(async () => {
      await server.close()
      await database.drop()
      rmSync(directory, { recursive: true, force: true })
    })
    const env = { DATABASE_URL: database.url, LATCH_KEYS_FILE: keysFile, LOG_LEVEL: 'silent' }
    const run = (...args: string[]) => cli(directory, env, args)
    const ok = (result: Run, what: string) => {
      t.is(result.code, 0, `${what}: ${result.stderr}`)
      return result.stdout
    }
    const failsWith = (result: Run, code: string, what: string) => {
      t.is(result.code, 1, what)
      t.is(result.stdout, '', what)
      t.regex(result.stderr, new RegExp(`^latch: ${code}: [^\\n]+\\n$`), `${what}: one line naming the code`)
    }

    const { core } = server.latch
    const tag = `cli${Date.now()}`
    const root = await core.createUser({ email: `root-${tag}@example.com`, password: PASSWORD, role: 'admin' }, OPERATOR_CONTEXT)
    const ada = await core.createUser({ email: `ada-${tag}@example.com`, password: PASSWORD }, OPERATOR_CONTEXT)
    const bob = await core.createUser({ email: uniqueEmail('bob'), password: PASSWORD }, OPERATOR_CONTEXT)
    const loginAs = async (email: string, agent: string) => {
      const response = await server.request('POST', '/login', { json: { email, password: PASSWORD }, headers: { 'user-agent': agent } })
      return { refreshToken: response.body.refresh_token as string, sid: decodeJwt(response.body.access_token).sid as string }
    }
    const phone = await loginAs(ada.email, 'Phone/1')
    const laptop = await loginAs(ada.email, 'Laptop/2')
    const bobs = await loginAs(bob.email, 'Bob/1')
    const refreshes = async (session: { refreshToken: string }) => (await server.post('/refresh', { refresh_token: session.refreshToken })).status

    // One command alone first, then the independent ones side by side.
    const firstPage = ok(await run('users', '--query', tag.toUpperCase(), '--limit', '1'), 'users (table)').split('\n')
    t.regex(firstPage[0]!, /^ID\s+EMAIL\s+ROLE\s+LOCKED_AT\s+LOCK_REASON\s+CREATED_AT$/)
    t.true(firstPage[1]!.includes(ada.email), 'newest first')
    t.regex(firstPage[2]!, /^more: repeat with --cursor \S+$/, 'says how to get the next page')

    const [details, bobOut, demoteRoot] = await Promise.all([
      run('user', '--email', ada.email.toUpperCase(), '--json'),
      run('logout-all', '--email', bob.email),
      run('set-role', '--email', root.email, '--role', 'user'),
    ])
    const shown = JSON.parse(ok(details, 'user --json'))
    t.like(shown, { id: ada.id, email: ada.email, role: 'user', locked_at: null })
    t.deepEqual(shown.sessions.map((session: { user_agent: string }) => session.user_agent).sort(), ['Laptop/2', 'Phone/1'])
    t.is(ok(bobOut, 'logout-all'), `logged ${bob.email} (${bob.id}) out everywhere\n`)
    t.is(await refreshes(bobs), 401)
    failsWith(demoteRoot, 'last_admin', 'demoting the only admin')

    const [revoke, lockRoot, promote] = await Promise.all([
      run('revoke-session', '--email', ada.email, '--session', phone.sid),
      run('lock', '--email', root.email, '--reason', 'left', '--force'),
      run('set-role', '--email', ada.email, '--role', 'admin'),
    ])
    t.is(ok(revoke, 'revoke-session'), `revoked session ${phone.sid} of ${ada.email}\n`)
    t.is(await refreshes(phone), 401, 'the revoked session is dead')
    t.is(await refreshes(laptop), 200, 'the other lives')
    t.is(ok(lockRoot, 'lock --force'), `locked ${root.email} (${root.id})\n`, 'the last admin, locked with --force; the output is unchanged')
    t.is(ok(promote, 'set-role'), `${ada.email} is now admin (was user)\n`)

    const trail = JSON.parse(ok(await run('audit', '--email', ada.email, '--type', 'session_revoked', '--json'), 'audit --json'))
    t.is(trail.items.length, 1)
    t.like(trail.items[0], { type: 'session_revoked', actor_id: 'cli', user_id: ada.id, detail: { sessionId: phone.sid } })
    const prisma = server.latch.database.prisma
    const recorded = async (userId: string, type: string) => {
      const events = await prisma.auditEvent.findMany({ where: { userId, type } })
      return events.map((event) => [event.actorId, JSON.parse(event.detail!)])
    }
    t.deepEqual(await recorded(ada.id, 'role_changed'), [['cli', { from: 'user', to: 'admin' }]])
    t.deepEqual(await recorded(root.id, 'user_locked'), [['cli', { reason: 'left', force: true }]])
    t.deepEqual(await recorded(root.id, 'role_changed'), [], 'the refused demotion left no trace')
  })
}

for (const provider of PROVIDERS) {
  test(`${provider}: every admin verb takes --json and prints what the HTTP API answers`, async (t) => {
    // Six processes one after the other, each of a second or more of CPU: patience on a busy machine.
    t.timeout(300_000)
    const database = await freshDatabase(provider)
    const directory = mkdtempSync(join(tmpdir(), 'latch-cli-'))
    const keysFile = join(directory, 'keys.json')
    const server = await TestLatch.start(provider, {
      databaseUrl: database.url,
      env: { LATCH_KEY_ENCRYPTION_KEY: '', LATCH_REFRESH_TOKEN_KEY: '', LATCH_SIGNING_KEYS: '', LATCH_KEYS_FILE: keysFile },
    })
    t.teardown(async () => {
      await server.close()
      await database.drop()
      rmSync(directory, { recursive: true, force: true })
    })
    const run = (...args: string[]) => cli(directory, { DATABASE_URL: database.url, LATCH_KEYS_FILE: keysFile, LOG_LEVEL: 'silent' }, args)
    const json = (result: Run, what: string) => {
      t.is(result.code, 0, `${what}: ${result.stderr}`)
      t.is(result.stderr, '', what)
      return JSON.parse(result.stdout)
    }
    const { core } = server.latch
    const admin = await core.createUser({ email: uniqueEmail('json-admin'), password: PASSWORD, role: 'admin' }, OPERATOR_CONTEXT)
    const other = await core.createUser({ email: uniqueEmail('json-other'), password: PASSWORD }, OPERATOR_CONTEXT)
    const adminToken = (await server.post('/login', { email: admin.email, password: PASSWORD })).body.access_token as string
    // The user as GET /admin/users/:id shows it, without its sessions: the object the user verbs answer over HTTP.
    const overHttp = async (id: string) => {
      const { sessions: _sessions, ...user } = (await server.get(`/admin/users/${id}`, adminToken)).body
      return user
    }

    const email = uniqueEmail('json')
    const created = json(await run('create-user', '--email', email, '--password', PASSWORD, '--json'), 'create-user --json')
    t.deepEqual(Object.keys(created).sort(), ['created_at', 'email', 'id', 'lock_reason', 'locked_at', 'role'])
    t.deepEqual(created, await overHttp(created.id))
    const session = decodeJwt((await server.post('/login', { email, password: PASSWORD })).body.access_token).sid as string

    // One after the other: on a busy machine, concurrent writers can outwait SQLite's busy timeout.
    const promoted = await run('set-role', '--email', email, '--role', 'admin', '--json')
    const revoked = await run('revoke-session', '--email', email, '--session', session, '--json')
    const everywhere = await run('logout-all', '--email', other.email, '--json')
    t.deepEqual(json(promoted, 'set-role --json'), { ...created, role: 'admin' })
    t.deepEqual(json(revoked, 'revoke-session --json'), { user_id: created.id, session_id: session, revoked: true })
    t.deepEqual(json(everywhere, 'logout-all --json'), { user_id: other.id, email: other.email })

    const locked = json(await run('lock', '--email', email, '--reason', 'json test', '--json'), 'lock --json')
    t.like(locked, { id: created.id, role: 'admin', lock_reason: 'json test' })
    t.deepEqual(locked, await overHttp(created.id))
    const unlocked = json(await run('unlock', '--email', email, '--json'), 'unlock --json')
    t.deepEqual(unlocked, await overHttp(created.id))
    t.like(unlocked, { locked_at: null, lock_reason: null })
  })
}
