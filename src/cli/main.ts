import { Command } from 'commander'
import { LatchError } from '../domain/errors.js'
import { registerAuditCommands } from './commands/audit.js'
import { registerClientCommands, registerEdgeCommand } from './commands/clients.js'
import { registerKeyCommands } from './commands/keys.js'
import { registerServerCommands } from './commands/server.js'
import { registerUserCommands } from './commands/users.js'

/**
 * The operator's tool. Commands call the domain directly (never HTTP), print one line (or a table,
 * or JSON with --json) on success, and on failure print one line to stderr and exit non-zero.
 */
const program = new Command('latch')
  .description('Latch authorization server')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) })

registerServerCommands(program)
registerUserCommands(program)
registerAuditCommands(program)
registerClientCommands(program)
registerEdgeCommand(program)
registerKeyCommands(program)

try {
  await program.parseAsync()
} catch (error) {
  const message = error instanceof LatchError ? `${error.code}: ${error.description}` : error instanceof Error ? error.message : String(error)
  process.stderr.write(`latch: ${message.replace(/\n+/g, ' ')}\n`)
  process.exitCode = 1
}
