import { Option, type Command } from 'commander'
import { OPERATOR_CONTEXT } from '../../domain/core.js'
import { ROLES, type Role, type SessionSummary, type User } from '../../domain/ports.js'
import { userView } from '../../http/routes/admin-users.js'
import { printJson, printPage, printRows, wholeNumber, withLatch } from '../context.js'

/*
 * With --json, a verb prints the object the HTTP API answers for the same change: the user (as
 * POST /admin/users, …/lock, …/unlock and …/role answer it). revoke-session and logout-all, which
 * answer 204 over HTTP, print what was done: {user_id, session_id, revoked} and {user_id, email}.
 */

export function registerUserCommands(program: Command): void {
  program
    .command('create-user')
    .description('create an account')
    .requiredOption('--email <email>', 'email address')
    .addOption(new Option('--password <password>', 'password (8 to 256 characters); visible to other users of the machine while the command runs, and kept in shell history'))
    .addOption(new Option('--password-stdin', 'read the password from standard input instead (its first line)').conflicts('password'))
    .option('--admin', 'give the account the admin role', false)
    .option('--json', 'print the user as JSON', false)
    .action(async (options: { email: string; password?: string; passwordStdin?: boolean; admin: boolean; json: boolean }, command: Command) => {
      if (options.password === undefined && !options.passwordStdin) command.error("error: one of '--password <password>' or '--password-stdin' is required")
      const password = options.password ?? (await firstLineOfStdin())
      return withLatch(async ({ core }) => {
        const role = options.admin ? 'admin' : 'user'
        const user = await core.createUser({ email: options.email, password, role }, OPERATOR_CONTEXT)
        if (options.json) return printJson(userView(user))
        console.log(`created ${user.role} ${user.email} (${user.id})`)
      })
    })

  program
    .command('lock')
    .description('lock an account: no login, no refresh, every session revoked')
    .requiredOption('--email <email>', 'email address of the account')
    .requiredOption('--reason <reason>', 'why, kept with the account')
    .option('--force', 'lock even the last unlocked admin', false)
    .option('--json', 'print the locked user as JSON', false)
    .action(async (options: { email: string; reason: string; force: boolean; json: boolean }) =>
      withLatch(async ({ core }) => {
        const user = await core.findUserByEmail(options.email)
        const locked = await core.lockUser({ userId: user.id, reason: options.reason, force: options.force }, OPERATOR_CONTEXT)
        if (options.json) return printJson(userView(locked))
        console.log(`locked ${user.email} (${user.id})`)
      }),
    )

  program
    .command('unlock')
    .description('unlock an account')
    .requiredOption('--email <email>', 'email address of the account')
    .option('--json', 'print the unlocked user as JSON', false)
    .action(async (options: { email: string; json: boolean }) =>
      withLatch(async ({ core }) => {
        const user = await core.findUserByEmail(options.email)
        const unlocked = await core.unlockUser({ userId: user.id }, OPERATOR_CONTEXT)
        if (options.json) return printJson(userView(unlocked))
        console.log(`unlocked ${user.email} (${user.id})`)
      }),
    )

  program
    .command('users')
    .description('list accounts, newest first')
    .option('--query <text>', 'only emails containing this text (any case)')
    .option('--limit <n>', 'page size, 1 to 100', wholeNumber)
    .option('--cursor <cursor>', 'continue after the previous page')
    .option('--json', 'print JSON', false)
    .action(async (options: { query?: string; limit?: number; cursor?: string; json: boolean }) =>
      withLatch(async ({ core }) => {
        const page = await core.listUsers({ query: options.query, limit: options.limit, cursor: options.cursor })
        printPage(page.items.map(userRow), page.nextCursor, options)
      }),
    )

  program
    .command('user')
    .description('show an account and its active sessions')
    .requiredOption('--email <email>', 'email address of the account')
    .option('--json', 'print JSON', false)
    .action(async (options: { email: string; json: boolean }) =>
      withLatch(async ({ core }) => {
        const { user, activeSessions } = await core.getUserDetails((await core.findUserByEmail(options.email)).id)
        const sessions = activeSessions.map(sessionRow)
        if (options.json) {
          console.log(JSON.stringify({ ...userRow(user), sessions }, null, 2))
          return
        }
        const lock = user.lockedAt ? `locked since ${user.lockedAt.toISOString()} (${user.lockReason ?? 'no reason'})` : 'not locked'
        console.log(`${user.email} (${user.id}) ${user.role}, ${lock}, created ${user.createdAt.toISOString()}`)
        console.log(`${sessions.length} active session(s):`)
        printRows(sessions, options)
      }),
    )

  program
    .command('revoke-session')
    .description("revoke one of an account's sessions")
    .requiredOption('--email <email>', 'email address of the account')
    .requiredOption('--session <id>', 'session id (see `latch user`)')
    .option('--json', 'print {user_id, session_id, revoked} as JSON (revoked: false when it already was)', false)
    .action(async (options: { email: string; session: string; json: boolean }) =>
      withLatch(async ({ core }) => {
        const user = await core.findUserByEmail(options.email)
        const revoked = await core.revokeUserSession({ userId: user.id, sessionId: options.session }, OPERATOR_CONTEXT)
        if (options.json) return printJson({ user_id: user.id, session_id: options.session, revoked })
        console.log(revoked ? `revoked session ${options.session} of ${user.email}` : `session ${options.session} of ${user.email} was already revoked`)
      }),
    )

  program
    .command('logout-all')
    .description('end every session of an account')
    .requiredOption('--email <email>', 'email address of the account')
    .option('--json', 'print {user_id, email} as JSON', false)
    .action(async (options: { email: string; json: boolean }) =>
      withLatch(async ({ core }) => {
        const user = await core.findUserByEmail(options.email)
        await core.logoutUserEverywhere({ userId: user.id }, OPERATOR_CONTEXT)
        if (options.json) return printJson({ user_id: user.id, email: user.email })
        console.log(`logged ${user.email} (${user.id}) out everywhere`)
      }),
    )

  program
    .command('set-role')
    .description("change an account's role")
    .requiredOption('--email <email>', 'email address of the account')
    .addOption(new Option('--role <role>', 'the new role').choices(ROLES).makeOptionMandatory())
    .option('--force', 'demote even the last unlocked admin', false)
    .option('--json', 'print the user as JSON', false)
    .action(async (options: { email: string; role: Role; force: boolean; json: boolean }) =>
      withLatch(async ({ core }) => {
        const before = await core.findUserByEmail(options.email)
        const after = await core.changeRole({ userId: before.id, role: options.role, force: options.force }, OPERATOR_CONTEXT)
        if (options.json) return printJson(userView(after))
        console.log(before.role === after.role ? `${after.email} is already ${after.role}` : `${after.email} is now ${after.role} (was ${before.role})`)
      }),
    )
}

function userRow(user: User) {
  return { id: user.id, email: user.email, role: user.role, locked_at: user.lockedAt, lock_reason: user.lockReason, created_at: user.createdAt }
}

function sessionRow(session: SessionSummary) {
  return {
    id: session.id,
    client_id: session.clientId,
    user_agent: session.userAgent,
    ip: session.ip,
    created_at: session.createdAt,
    last_used_at: session.lastUsedAt,
    expires_at: session.expiresAt,
  }
}

/** The first line of standard input (a piped password), without its line ending. */
async function firstLineOfStdin(): Promise<string> {
  let text = ''
  // Decoded as UTF-8 by the stream, so that a character split between two chunks survives.
  process.stdin.setEncoding('utf8')
  for await (const chunk of process.stdin) {
    text += String(chunk)
    if (text.includes('\n')) break
  }
  return text.split(/\r?\n/, 1)[0] ?? ''
}
