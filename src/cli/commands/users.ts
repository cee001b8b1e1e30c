import type { Command } from 'commander'
import { OPERATOR_CONTEXT } from '../../domain/core.js'
import { withLatch } from '../context.js'

export function registerUserCommands(program: Command): void {
  program
    .command('create-user')
    .description('create an account')
    .requiredOption('--email <email>', 'email address')
    .requiredOption('--password <password>', 'password (8 to 256 characters)')
    .option('--admin', 'give the account the admin role', false)
    .action(async (options: { email: string; password: string; admin: boolean }) =>
      withLatch(async ({ core }) => {
        const role = options.admin ? 'admin' : 'user'
        const user = await core.createUser({ email: options.email, password: options.password, role }, OPERATOR_CONTEXT)
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
}
