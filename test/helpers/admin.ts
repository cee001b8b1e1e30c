import type { LoggedIn, Response, TestLatch } from './latch.js'

/** Calls the admin API with someone's access token (an admin's, or not, to test the refusal). */
export function asUser(server: TestLatch, who: Pick<LoggedIn, 'accessToken'>) {
  const headers = { authorization: `Bearer ${who.accessToken}` }
  return {
    get: (path: string): Promise<Response> => server.request('GET', path, { headers }),
    post: (path: string, json?: unknown): Promise<Response> => server.request('POST', path, { headers, ...(json === undefined ? {} : { json }) }),
  }
}

/** Follows next_cursor from the first page to the last and returns every page's items, in order. */
export async function walkPages(server: TestLatch, who: Pick<LoggedIn, 'accessToken'>, path: string): Promise<{ items: any[]; pages: number }> {
  const items: any[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const separator = path.includes('?') ? '&' : '?'
    const response = await asUser(server, who).get(cursor === null ? path : `${path}${separator}cursor=${encodeURIComponent(cursor)}`)
    if (response.status !== 200) throw new Error(`page ${pages + 1} of ${path}: ${response.status} ${response.text}`)
    items.push(...response.body.items)
    cursor = response.body.next_cursor
    pages += 1
    if (pages > 1000) throw new Error('the walk does not end')
  } while (cursor !== null)
  return { items, pages }
}

/** A cursor-shaped value the server never issued: base64url of arbitrary JSON. */
export function forgedCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}
