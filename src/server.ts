import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Config } from './config.js'
import { createLatch } from './latch.js'

/**
 * Migrates, then listens. Prints one line with the URL once requests are accepted. SIGTERM and
 * SIGINT stop accepting connections, let in-flight requests finish, then close the database.
 * With LATCH_METRICS_PORT set, GET /metrics listens on that port too, and only there.
 */
export async function serve(config: Readonly<Config>): Promise<void> {
  const latch = await createLatch(config, { migrate: true, background: true })
  const metricsServer = latch.metrics && config.metrics ? await listen(createServer(latch.metrics.handler), config.metrics) : null
  const server = latch.app.listen(config.port, config.host)
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const host = urlHost(config.host)
  // On the log, not stdout: stdout has exactly one line, the API's URL.
  const metrics = metricsServer && config.metrics ? { metrics: `http://${urlHost(config.metrics.host)}:${(metricsServer.address() as AddressInfo).port}/metrics` } : {}
  latch.logger.info({ issuer: config.issuer, ...metrics }, 'latch ready')
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
    metricsServer?.close()
    metricsServer?.closeAllConnections()
    const deadline = setTimeout(() => server.closeAllConnections(), 10_000).unref()
    await once(server, 'close')
    clearTimeout(deadline)
    await latch.close()
    process.exit(0)
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

async function listen(server: Server, { port, host }: { port: number; host: string }): Promise<Server> {
  server.listen(port, host)
  await once(server, 'listening')
  return server
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}
