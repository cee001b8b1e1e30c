import { Option, type Command } from 'commander'
import { OPERATOR_CONTEXT } from '../../domain/core.js'
import { CLIENT_TYPES, type ClientType } from '../../domain/ports.js'
import { withLatch } from '../context.js'

interface CreateClientOptions {
  name: string
  type: ClientType
  audience?: string
  scope?: string
  origin: string[]
  json: boolean
}

export function registerClientCommands(program: Command): void {
  program
    .command('create-client')
    .description('register an OAuth client; a confidential client\'s secret is printed this once and never again')
    .requiredOption('--name <name>', 'what the client is, for people')
    .addOption(new Option('--type <type>', 'public (apps that log users in) or confidential (resource servers)').choices(CLIENT_TYPES).makeOptionMandatory())
    .option('--audience <audience>', 'aud of its access tokens (default: LATCH_AUDIENCE)')
    .option('--scope <scope>', 'space-separated scopes its sessions are granted (default: LATCH_SCOPE)')
    .option('--origin <origin>', 'an exact browser origin allowed for it (repeatable)', (origin: string, all: string[]) => [...all, origin], [])
    .option('--json', 'print JSON', false)
    .action(async (options: CreateClientOptions) =>
      withLatch(async ({ core }) => {
        const { client, secret } = await core.createClient(
          {
            name: options.name,
            type: options.type,
            allowedOrigins: options.origin,
            ...(options.audience === undefined ? {} : { audience: options.audience }),
            ...(options.scope === undefined ? {} : { scope: options.scope }),
          },
          OPERATOR_CONTEXT,
        )
        if (options.json) {
          const view = { client_id: client.id, name: client.name, type: client.type, audience: client.audience, scope: client.scope, allowed_origins: client.allowedOrigins }
          console.log(JSON.stringify(secret === null ? view : { ...view, client_secret: secret }, null, 2))
          return
        }
        const credentials = secret === null ? `client_id=${client.id}` : `client_id=${client.id} client_secret=${secret} (shown once: store it now)`
        console.log(`created ${client.type} client "${client.name}": ${credentials}`)
      }),
    )
}
