import type { CoreDependencies } from './dependencies.js'
import { authenticate } from './sessions/authenticate.js'
import { login, type LoginInput } from './sessions/login.js'
import { logout, logoutEverywhere } from './sessions/logout.js'
import { rotateRefreshToken } from './sessions/rotate-refresh-token.js'
import { createUser, findUserByEmail, lockUser, register, unlockUser, type NewAccount } from './users/accounts.js'

/**
 * The domain's public surface: every use case, bound to its dependencies once. The HTTP layer and
 * the CLI call these and nothing deeper.
 */
export function createCore(deps: CoreDependencies) {
  return {
    register: (input: NewAccount) => register(deps, input),
    createUser: (input: NewAccount) => createUser(deps, input),
    findUserByEmail: (email: string) => findUserByEmail(deps, email),
    lockUser: (input: { userId: string; reason: string }) => lockUser(deps, input),
    unlockUser: (input: { userId: string }) => unlockUser(deps, input),
    login: (input: LoginInput) => login(deps, input),
    refresh: (refreshToken: string) => rotateRefreshToken(deps, refreshToken),
    logout: (refreshToken: string) => logout(deps, refreshToken),
    logoutEverywhere: (userId: string) => logoutEverywhere(deps, userId),
    authenticate: (accessToken: string) => authenticate(deps, accessToken),
    get accessTokenLifetimeSeconds() {
      return deps.accessTokens.lifetimeSeconds
    },
  }
}

export type Core = ReturnType<typeof createCore>
