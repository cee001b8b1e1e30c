import { Option, type Command } from 'commander'
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../domain/tokens/key-ring.js'
import { generateKeyVariables } from '../../keys/load-keys.js'

export function registerKeyCommands(program: Command): void {
  program
    .command('generate-keys')
    .description('print fresh LATCH_SIGNING_KEYS and LATCH_REFRESH_TOKEN_KEY lines for a production environment')
    .addOption(new Option('--alg <alg>', 'signing algorithm').choices(SIGNING_ALGORITHMS).default('EdDSA'))
    .action(async (options: { alg: SigningAlgorithm }) => {
      for (const [name, value] of Object.entries(await generateKeyVariables(options.alg))) console.log(`${name}='${value}'`)
    })
}
