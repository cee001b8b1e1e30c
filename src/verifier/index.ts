/**
 * `latch/verifier`: verifies Latch access tokens at the edge, locally, against the issuer's JWKS
 * and the revocation feed (docs/revocation-feed.md). It depends on nothing of the server: only
 * `node:*`, `jose` and `eventsource-parser`.
 */
export { createVerifier, type Verifier, type VerifierEvents, type VerifierOptions, type VerifierStats } from './verifier.js'
export { VerifierError, type VerifierErrorCode, type VerifierErrorReason, type VerifierErrorResponse } from './errors.js'
export type { AccessTokenClaims } from './access-token.js'
export type { KoaLikeContext, KoaLikeMiddleware, KoaOptions, RequestLike } from './http.js'
export type { Revocation, RevocationKind } from './revocation-set.js'
export type { IgnoredSetReason } from './security-event.js'
export type { StaleReason } from './freshness.js'
