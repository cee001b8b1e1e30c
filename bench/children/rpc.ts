/**
 * The child side of bench/lib/child.ts: answers `call(method, params)` from the runner over the
 * IPC channel. Handlers may be synchronous (a raw SQLite loop blocks on purpose) or async.
 */
type Handler = (params: any) => unknown

export function serveRpc(handlers: Record<string, Handler>): void {
  if (!process.send) throw new Error('serveRpc: not started by the benchmark runner (no IPC channel)')
  const send = process.send.bind(process)
  process.on('message', async (message: { id: number; method: string; params: unknown }) => {
    const handler = handlers[message.method]
    try {
      if (!handler) throw new Error(`unknown method ${message.method}`)
      send({ id: message.id, result: (await handler(message.params)) ?? null })
    } catch (error) {
      send({ id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
    }
  })
  send({ ready: true })
}
