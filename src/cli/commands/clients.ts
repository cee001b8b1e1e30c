import { Option, type Command } from 'commander'
import { OPERATOR_CONTEXT } from '../../domain/core.js'
import { CLIENT_TYPES, type ClientType } from '../../domain/ports.js'
import { cliConfig, printJson, withLatch } from '../context.js'

interface CreateClientOptions {
  name: string
  type: ClientType
  audience?: string
  scope?: string
  origin: string[]
  webhook?: string
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
    .option('--webhook <url>', 'confidential clients: push the revocation feed to this https URL')
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
            ...(options.webhook === undefined ? {} : { webhookUrl: options.webhook }),
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

interface CreateEdgeOptions {
  name: string
  webhook?: string
  json: boolean
}

/**
 * An edge (a resource server or gateway verifying tokens locally) in one command: a confidential
 * client for the revocation feed and introspection, and optionally a webhook the feed is pushed to.
 */
export function registerEdgeCommand(program: Command): void {
  program
    .command('create-edge')
    .description('register an edge that follows the revocation feed; prints its credentials (the secret this once) and the feed URLs')
    .requiredOption('--name <name>', 'what the edge is, for people')
    .option('--webhook <url>', 'push the feed to this https URL instead of (or besides) the edge reading it')
    .option('--json', 'print JSON', false)
    .action(async (options: CreateEdgeOptions) =>
      withLatch(async ({ core }) => {
        const { issuer } = cliConfig()
        const { client, secret } = await core.createClient(
          { name: options.name, type: 'confidential', ...(options.webhook === undefined ? {} : { webhookUrl: options.webhook }) },
          OPERATOR_CONTEXT,
        )
        const base = issuer.replace(/\/+$/, '')
        const view = {
          client_id: client.id,
          client_secret: secret,
          issuer,
          events_stream_endpoint: `${base}/events/stream`,
          events_endpoint: `${base}/events`,
          introspection_endpoint: `${base}/oauth/introspect`,
          ...(options.webhook === undefined ? {} : { webhook: options.webhook }),
        }
        if (options.json) {
          console.log(JSON.stringify(view, null, 2))
          return
        }
        console.log(`created edge "${client.name}": client_id=${client.id} client_secret=${secret} (shown once: store it now)`)
        console.log(`feed: ${view.events_stream_endpoint} (SSE) or ${view.events_endpoint} (polling), HTTP Basic with these credentials`)
      }),
    )
}

/** Takes a client's access away: no authentication, no refresh of its sessions (see disableClient). */
export function registerDisableClientCommand(program: Command): void {
  program
    .command('disable-client')
    .description("disable a client: it can no longer authenticate, and its sessions can no longer refresh")
    .requiredOption('--client-id <id>', 'the client_id')
    .option('--json', 'print JSON', false)
    .action(async (options: { clientId: string; json: boolean }) =>
      withLatch(async ({ core }) => {
        const { disabled } = await core.disableClient({ clientId: options.clientId }, OPERATOR_CONTEXT)
        if (options.json) return printJson({ client_id: options.clientId, disabled: true, changed: disabled })
        console.log(disabled ? `disabled client ${options.clientId}` : `client ${options.clientId} was already disabled`)
      }),
    )
}
