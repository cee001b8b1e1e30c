import type Router from '@koa/router'
import { z } from 'zod'
import type { Core } from '../../domain/core.js'
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page } from '../../domain/admin/paging.js'
import { requireAccessToken, requireAdmin, type AuthenticatedState } from '../middleware/authenticate.js'
import { UNAVAILABLE } from '../openapi.js'
import { createRouter } from '../router.js'

/** What every admin route module shares: the guarded router, id parameters and paging. */

/**
 * The router under /admin whose every route needs an access token of a user who is an admin now.
 * Admin answers are about other people's accounts: never cached. The admin route modules register
 * on routers of their own (adminRoutes) that the app mounts here, so the guard is one layer that
 * runs once per request, however many modules there are.
 */
export function adminRouter(core: Core, modules: readonly Router<AuthenticatedState>[]): Router<AuthenticatedState> {
  const router = createRouter<AuthenticatedState>({ prefix: '/admin' })
  router.use(requireAccessToken(core), requireAdmin(), async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store')
    await next()
  })
  for (const module of modules) router.use(module.routes())
  return router
}

/** A router for an admin route module: paths relative to /admin, mounted by adminRouter behind its guard. */
export function adminRoutes(): Router<AuthenticatedState> {
  return createRouter<AuthenticatedState>()
}

/**
 * A UUID in any case, lower-cased after validation: ids are stored as Latch generates them (lower
 * case, randomUUID), and compared byte for byte.
 */
export const uuidIn = (error: string) => z.uuid({ error }).transform((id) => id.toLowerCase())

export const UserId = uuidIn('user id must be a UUID')

/** Paging query parameters, as strings. Their range is the domain's rule; here only their form. */
export const PagingQuery = {
  limit: z
    .string({ error: 'must be given once' })
    .regex(/^[0-9]{1,3}$/, { error: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .transform(Number)
    .optional()
    .describe(`page size, 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE})`),
  cursor: z
    .string({ error: 'must be given once' })
    .max(400, { error: 'is not one this server issued' })
    .optional()
    .describe('next_cursor of the previous page; omit for the first page'),
}

/** A page as JSON: the items, and the cursor of the next page (null on the last). */
export function pageBody<T>(page: Page<T>, view: (item: T) => Record<string, unknown>) {
  return { items: page.items.map(view), next_cursor: page.nextCursor }
}

export function pageSchema(item: Record<string, unknown>) {
  return {
    type: 'object',
    required: ['items', 'next_cursor'],
    properties: {
      items: { type: 'array', items: item },
      next_cursor: { type: ['string', 'null'], description: 'pass as ?cursor= for the next page; null on the last page' },
    },
  }
}

/** What every admin operation can answer; those with a body add JSON_BODY_ERRORS. */
export const adminErrors = { 400: 'invalid_request', 401: 'invalid_token', 403: 'forbidden', ...UNAVAILABLE } as const
