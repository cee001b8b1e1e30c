import { Command } from 'commander'
import { LatchError } from '../domain/errors.js'
import { registerAuditCommands } from './commands/audit.js'
import { registerClientCommands, registerDisableClientCommand, registerEdgeCommand } from './commands/clients.js'
import { registerKeyCommands } from './commands/keys.js'
import { registerServerCommands } from './commands/server.js'
import { registerUserCommands } from './commands/users.js'

/**
 * The operator's tool. Commands call the domain directly (never HTTP), print one line (or a table,
 * or JSON with --json) on success, and on failure print one line to stderr and exit non-zero:
 * usage mistakes too (commander's reason, without the help, which `latch <command> --help` shows).
 */
const program = new Command('latch')
  .description('Latch authorization server')
  .configureOutput({ outputError: (text, write) => write(`latch: ${oneLine(text.replace(/^error: /, ''))}\n`) })

function oneLine(text: string): string {
  return text.trim().replace(/\s*\n+\s*/g, ' ')
}

registerServerCommands(program)
registerUserCommands(program)
registerAuditCommands(program)
registerClientCommands(program)
registerEdgeCommand(program)
registerDisableClientCommand(program)
registerKeyCommands(program)

try {
  await program.parseAsync()
} catch (error) {
  const message = error instanceof LatchError ? `${error.code}: ${error.description}` : error instanceof Error ? error.message : String(error)
  process.stderr.write(`latch: ${oneLine(message)}\n`)
  process.exitCode = 1
}
