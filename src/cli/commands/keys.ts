import { Option, type Command } from 'commander'
import { OPERATOR_CONTEXT } from '../../domain/core.js'
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../domain/tokens/key-ring.js'
import { generateKeyVariables, generateStaticKeyVariables } from '../../keys/load-keys.js'
import { rotatedKeyView } from '../../http/routes/admin-keys.js'
import { cliConfig, printJson, printRows, withLatch } from '../context.js'

export function registerKeyCommands(program: Command): void {
  program
    .command('generate-keys')
    .description('print fresh LATCH_KEY_ENCRYPTION_KEY, LATCH_REFRESH_TOKEN_KEY and LATCH_SIGNING_ALG lines for a production environment')
    .addOption(new Option('--alg <alg>', 'signing algorithm').choices(SIGNING_ALGORITHMS).default('EdDSA'))
    .option('--static', 'print LATCH_SIGNING_KEYS (a fixed signing key, never rotated by Latch) instead of a key-encryption key', false)
    .action(async (options: { alg: SigningAlgorithm; static: boolean }) => {
      const variables = options.static ? await generateStaticKeyVariables(options.alg) : await generateKeyVariables(options.alg)
      for (const [name, value] of Object.entries(variables)) console.log(`${name}='${value}'`)
    })

  const keys = program.command('keys').description('signing keys shared by every replica through the database')

  keys
    .command('rotate')
    .description('add a signing key: published now, signing after the publication delay; the keys it replaces retire once their tokens expire')
    .addOption(new Option('--alg <alg>', 'algorithm of the new key (default: LATCH_SIGNING_ALG)').choices(SIGNING_ALGORITHMS))
    .option('--json', 'print the new key as JSON, as POST /admin/keys/rotate answers it', false)
    .action(async (options: { alg?: SigningAlgorithm; json: boolean }) => {
      refuseStaticKeys()
      await withLatch(async ({ core }) => {
        const rotated = await core.rotateSigningKey(options.alg ? { alg: options.alg } : {}, OPERATOR_CONTEXT)
        if (options.json) return printJson(rotatedKeyView(rotated))
        const { key, retiring } = rotated
        const retires = retiring.length ? `; ${retiring.map((entry) => `${entry.kid} retires at ${entry.retiresAt.toISOString()}`).join(', ')}` : ''
        console.log(`added ${key.alg} key ${key.kid}: published now, signs from ${key.activatesAt.toISOString()}${retires}`)
      })
    })

  keys
    .command('list')
    .description('list the signing keys with their state: pending, active, retiring or retired')
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }) => {
      refuseStaticKeys()
      await withLatch(async ({ core }) => {
        const rows = (await core.listSigningKeys()).map((key) => ({
          kid: key.kid,
          alg: key.alg,
          state: key.state,
          created_at: key.createdAt,
          activates_at: key.activatesAt,
          retires_at: key.retiresAt,
        }))
        printRows(rows, options)
      })
    })
}

/** Said before touching the database, in the operator's terms. */
function refuseStaticKeys(): void {
  const { source } = cliConfig().keys
  if (source.kind === 'static') {
    const variable = typeof source.signingKeys === 'string' ? 'LATCH_SIGNING_KEYS' : 'LATCH_SIGNING_KEYS_FILE'
    throw new Error(`signing keys are fixed by ${variable} (static mode), so there is nothing to rotate or list here: edit ${variable === 'LATCH_SIGNING_KEYS' ? 'that variable' : 'that file'} to change them, or unset ${variable} (and set LATCH_KEY_ENCRYPTION_KEY) to let Latch manage them in the database`)
  }
}
