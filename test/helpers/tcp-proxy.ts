import { once } from 'node:events'
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy in front of a real server, so a test can do to a connection what networks do: cut
 * it, refuse new ones for a while, or let it go silent (a stall) without closing it.
 */
export class TcpProxy {
  #server: Server | null = null
  #port = 0
  #paused = false
  readonly #pairs = new Set<[Socket, Socket]>()

  private constructor(private readonly target: { host: string; port: number }) {}

  static async start(targetUrl: string): Promise<TcpProxy> {
    const target = new URL(targetUrl)
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) })
    await proxy.listen()
    return proxy
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`
  }

  /** Accepts connections again, on the same port. */
  async listen(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.target)
      const pair: [Socket, Socket] = [client, upstream]
      this.#pairs.add(pair)
      const drop = () => {
        this.#pairs.delete(pair)
        client.destroy()
        upstream.destroy()
      }
      client.on('error', drop).on('close', drop)
      upstream.on('error', drop).on('close', drop)
      client.pipe(upstream)
      upstream.pipe(client)
      if (this.#paused) this.#pausePair(pair)
    })
    server.listen(this.#port, '127.0.0.1')
    await once(server, 'listening')
    this.#port = (server.address() as AddressInfo).port
    this.#server = server
  }

  /** Cuts every connection and refuses new ones until `listen()`. */
  async stop(): Promise<void> {
    const server = this.#server
    this.#server = null
    for (const [client, upstream] of this.#pairs) {
      client.destroy()
      upstream.destroy()
    }
    this.#pairs.clear()
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** Keeps every connection open but lets no byte through: the feed goes silent. */
  pause(): void {
    this.#paused = true
    for (const pair of this.#pairs) this.#pausePair(pair)
  }

  resume(): void {
    this.#paused = false
    for (const [client, upstream] of this.#pairs) {
      client.pipe(upstream)
      upstream.pipe(client)
      client.resume()
      upstream.resume()
    }
  }

  #pausePair([client, upstream]: [Socket, Socket]): void {
    client.unpipe(upstream)
    upstream.unpipe(client)
    client.pause()
    upstream.pause()
  }
}
