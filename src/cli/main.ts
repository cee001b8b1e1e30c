import { existsSync } from 'node:fs'
import { Command, Option } from 'commander'
import { loadConfig, type Config } from '../config.js'
import { OPERATOR_CONTEXT } from '../domain/core.js'
import { LatchError } from '../domain/errors.js'
import { SIGNING_ALGORITHMS } from '../domain/tokens/key-ring.js'
import { generateKeyVariables } from '../keys/load-keys.js'
import { createLatch, type Latch } from '../latch.js'
import { createLogger } from '../logger.js'
import { serve } from '../server.js'
import { connect } from '../storage/connect.js'
import { migrate } from '../storage/migrate.js'

/**
 * The operator's tool. Each command calls the domain directly (never HTTP), prints one line on
 * success, and on failure prints one line to stderr and exits non-zero.
 */
const program = new Command('latch')
  .description('Latch authorization server')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) })

program
  .command('serve')
  .description('apply pending migrations, then start the HTTP server')
  .action(async () => serve(config()))

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const database = connect(config().databaseUrl)
    try {
      const { applied } = await migrate(database)
      console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date')
    } finally {
      await database.close()
    }
  })

program
  .command('create-user')
  .description('create an account')
  .requiredOption('--email <email>', 'email address')
  .requiredOption('--password <password>', 'password (8 to 256 characters)')
  .option('--admin', 'give the account the admin role', false)
  .action(async (options: { email: string; password: string; admin: boolean }) =>
    withLatch(async ({ core }) => {
      const user = await core.createUser({ email: options.email, password: options.password, role: options.admin ? 'admin' : 'user' }, OPERATOR_CONTEXT)
      console.log(`created ${user.role} ${user.email} (${user.id})`)
    }),
  )

program
  .command('lock')
  .description('lock an account: no login, no refresh, every session revoked')
  .requiredOption('--email <email>', 'email address of the account')
  .requiredOption('--reason <reason>', 'why, kept with the account')
  .action(async (options: { email: string; reason: string }) =>
    withLatch(async ({ core }) => {
      const user = await core.findUserByEmail(options.email)
      await core.lockUser({ userId: user.id, reason: options.reason }, OPERATOR_CONTEXT)
      console.log(`locked ${user.email} (${user.id})`)
    }),
  )

program
  .command('unlock')
  .description('unlock an account')
  .requiredOption('--email <email>', 'email address of the account')
  .action(async (options: { email: string }) =>
    withLatch(async ({ core }) => {
      const user = await core.findUserByEmail(options.email)
      await core.unlockUser({ userId: user.id }, OPERATOR_CONTEXT)
      console.log(`unlocked ${user.email} (${user.id})`)
    }),
  )

program
  .command('generate-keys')
  .description('print fresh LATCH_SIGNING_KEYS and LATCH_REFRESH_TOKEN_KEY lines for a production environment')
  .addOption(new Option('--alg <alg>', 'signing algorithm').choices(SIGNING_ALGORITHMS).default('EdDSA'))
  .action(async (options: { alg: (typeof SIGNING_ALGORITHMS)[number] }) => {
    for (const [name, value] of Object.entries(await generateKeyVariables(options.alg))) console.log(`${name}='${value}'`)
  })

function config(): Readonly<Config> {
  if (existsSync('.env')) process.loadEnvFile('.env')
  return loadConfig()
}

async function withLatch(work: (latch: Latch) => Promise<void>): Promise<void> {
  const settings = config()
  const latch = await createLatch(settings, { migrate: true, logger: createLogger('warn') })
  try {
    await work(latch)
  } finally {
    await latch.close()
  }
}

try {
  await program.parseAsync()
} catch (error) {
  const message = error instanceof LatchError ? `${error.code}: ${error.description}` : error instanceof Error ? error.message : String(error)
  process.stderr.write(`latch: ${message.replace(/\n+/g, ' ')}\n`)
  process.exitCode = 1
}
