import Router from '@koa/router'

/**
 * Every router of the app comes from here, case-sensitive. @koa/router matches routes without
 * regard to case by default, but the middleware a router mounts with `use()` (the admin guard)
 * with regard to it: with the default, `/ADMIN/users` reached the admin handlers past their guard.
 * Paths are case-sensitive anyway (RFC 3986 section 6.2.2.1). A trailing slash still matches.
 */
export function createRouter<State = unknown>(options: { prefix?: string } = {}): Router<State> {
  return new Router<State>({ ...options, sensitive: true })
}
