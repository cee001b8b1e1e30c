import type { Command } from 'commander'
import { serve } from '../../server.js'
import { connect } from '../../storage/connect.js'
import { migrate } from '../../storage/migrate.js'
import { cliConfig } from '../context.js'

export function registerServerCommands(program: Command): void {
  program
    .command('serve')
    .description('apply pending migrations, then start the HTTP server')
    .action(async () => serve(cliConfig()))

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => {
      const database = connect(cliConfig().databaseUrl)
      try {
        const { applied } = await migrate(database)
        console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date')
      } finally {
        await database.close()
      }
    })
}
