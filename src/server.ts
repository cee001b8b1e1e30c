import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { Config } from './config.js'
import { createLatch } from './latch.js'

/**
 * Migrates, then listens. Prints one line with the URL once requests are accepted. SIGTERM and
 * SIGINT stop accepting connections, let in-flight requests finish, then close the database.
 */
export async function serve(config: Readonly<Config>): Promise<void> {
  const latch = await createLatch(config, { migrate: true, background: true })
  const server = latch.app.listen(config.port, config.host)
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  latch.logger.info({ issuer: config.issuer }, 'latch ready')
  process.stdout.write(`Latch listening on http://${host}:${port}\n`)

  let stopping = false
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    latch.logger.info({ signal }, 'shutting down')
    // Feed streams never end by themselves; end them so that edges reconnect to another replica.
    latch.closeStreams()
    server.close()
    server.closeIdleConnections()
    const deadline = setTimeout(() => server.closeAllConnections(), 10_000).unref()
    await once(server, 'close')
    clearTimeout(deadline)
    await latch.close()
    process.exit(0)
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
