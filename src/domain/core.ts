import type { CoreDependencies } from './dependencies.js'
import type { RequestContext } from './ports.js'
import { authenticate } from './sessions/authenticate.js'
import { login, type LoginInput } from './sessions/login.js'
import { logout, logoutEverywhere } from './sessions/logout.js'
import { rotateRefreshToken } from './sessions/rotate-refresh-token.js'
import { createUser, findUserByEmail, lockUser, register, unlockUser, type NewAccount } from './users/accounts.js'

/**
 * The domain's public surface: every use case, bound to its dependencies once. The HTTP layer and
 * the CLI call these and nothing deeper. Every use case that changes state takes the
 * RequestContext it is recorded under in the audit trail.
 */
export function createCore(deps: CoreDependencies) {
  return {
    register: (input: NewAccount, context: RequestContext) => register(deps, input, context),
    createUser: (input: NewAccount, context: RequestContext) => createUser(deps, input, context),
    findUserByEmail: (email: string) => findUserByEmail(deps, email),
    lockUser: (input: { userId: string; reason: string }, context: RequestContext) => lockUser(deps, input, context),
    unlockUser: (input: { userId: string }, context: RequestContext) => unlockUser(deps, input, context),
    login: (input: LoginInput, context: RequestContext) => login(deps, input, context),
    refresh: (refreshToken: string, context: RequestContext) => rotateRefreshToken(deps, refreshToken, context),
    logout: (refreshToken: string, context: RequestContext) => logout(deps, refreshToken, context),
    logoutEverywhere: (userId: string, context: RequestContext) => logoutEverywhere(deps, userId, context),
    authenticate: (accessToken: string) => authenticate(deps, accessToken),
    get accessTokenLifetimeSeconds() {
      return deps.accessTokens.lifetimeSeconds
    },
  }
}

export type Core = ReturnType<typeof createCore>

/** The context of an operator at the command line. */
export const OPERATOR_CONTEXT: RequestContext = Object.freeze({ actorId: 'cli', ip: null, userAgent: null })
