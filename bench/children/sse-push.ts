/**
 * The propagation floor: the least any push over loopback costs. A bare node:http server holds
 * Server-Sent Events streams open; POST /push writes one event to every stream, then answers 204.
 * No database, no signing, no verification. Listens on $PORT.
 */
import { once } from 'node:events'
import { createServer, type ServerResponse } from 'node:http'

const streams = new Set<ServerResponse>()

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/stream') {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    response.write('retry: 1000\n\n')
    streams.add(response)
    request.on('close', () => streams.delete(response))
    return
  }
  if (request.method === 'POST' && request.url === '/push') {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      for (const stream of streams) stream.write(`event: set\ndata: ${body}\n\n`)
      response.writeHead(204).end()
    })
    return
  }
  if (request.url === '/healthz') return void response.writeHead(200).end('ok')
  response.writeHead(404).end()
})
server.listen(Number(process.env.PORT), '127.0.0.1')
await once(server, 'listening')
process.on('SIGTERM', () => process.exit(0))
