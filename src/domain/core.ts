import { changeRole, type RoleChange } from './admin/change-role.js'
import { listAuditEvents, type AuditListRequest } from './admin/list-audit-events.js'
import { listUsers, type UserListRequest } from './admin/list-users.js'
import { logoutUserEverywhere } from './admin/logout-user-everywhere.js'
import { revokeUserSession } from './admin/revoke-user-session.js'
import { getUserDetails } from './admin/user-details.js'
import { authenticateClient, type ClientCredentials } from './clients/authenticate-client.js'
import { createClient, type NewClient } from './clients/create-client.js'
import { disableClient } from './clients/disable-client.js'
import { ensureFirstPartyClient } from './clients/ensure-first-party-client.js'
import type { CoreDependencies } from './dependencies.js'
import type { RequestContext } from './ports.js'
import { authenticate } from './sessions/authenticate.js'
import { login, type LoginInput } from './sessions/login.js'
import { logout, logoutEverywhere } from './sessions/logout.js'
import { rotateRefreshToken, type RefreshRequest } from './sessions/rotate-refresh-token.js'
import { introspectToken } from './tokens/introspect-token.js'
import { listSigningKeys } from './tokens/list-signing-keys.js'
import { revokeToken, type TokenRevocation } from './tokens/revoke-token.js'
import { rotateSigningKey } from './tokens/rotate-signing-key.js'
import type { SigningAlgorithm } from './tokens/key-ring.js'
import { createUser, findUserByEmail, lockUser, register, unlockUser, type LockInput, type NewAccount } from './users/accounts.js'

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
    lockUser: (input: LockInput, context: RequestContext) => lockUser(deps, input, context),
    unlockUser: (input: { userId: string }, context: RequestContext) => unlockUser(deps, input, context),
    listUsers: (request: UserListRequest) => listUsers(deps, request),
    getUserDetails: (userId: string) => getUserDetails(deps, userId),
    changeRole: (input: RoleChange, context: RequestContext) => changeRole(deps, input, context),
    revokeUserSession: (input: { userId: string; sessionId: string }, context: RequestContext) => revokeUserSession(deps, input, context),
    logoutUserEverywhere: (input: { userId: string }, context: RequestContext) => logoutUserEverywhere(deps, input, context),
    listAuditEvents: (request: AuditListRequest) => listAuditEvents(deps, request),
    login: (input: LoginInput, context: RequestContext) => login(deps, input, context),
    refresh: (request: RefreshRequest, context: RequestContext) => rotateRefreshToken(deps, request, context),
    logout: (refreshToken: string, context: RequestContext) => logout(deps, refreshToken, context),
    logoutEverywhere: (userId: string, context: RequestContext) => logoutEverywhere(deps, userId, context),
    authenticate: (accessToken: string) => authenticate(deps, accessToken),
    createClient: (input: NewClient, context: RequestContext) => createClient(deps, input, context),
    disableClient: (input: { clientId: string }, context: RequestContext) => disableClient(deps, input, context),
    ensureFirstPartyClient: () => ensureFirstPartyClient(deps),
    authenticateClient: (credentials: ClientCredentials, options?: { confidentialOnly?: boolean }) => authenticateClient(deps, credentials, options),
    revokeToken: (input: TokenRevocation, context: RequestContext) => revokeToken(deps, input, context),
    introspectToken: (token: string) => introspectToken(deps, token),
    rotateSigningKey: (input: { alg?: SigningAlgorithm }, context: RequestContext) => rotateSigningKey(deps, input, context),
    listSigningKeys: () => listSigningKeys(deps),
    get accessTokenLifetimeSeconds() {
      return deps.accessTokens.lifetimeSeconds
    },
  }
}

export type Core = ReturnType<typeof createCore>

/** The context of an operator at the command line. */
export const OPERATOR_CONTEXT: RequestContext = Object.freeze({ actorId: 'cli', ip: null, userAgent: null })
