import { z } from 'zod'

/**
 * The OpenAPI 3.1 document is assembled from the operations each route module declares next to
 * its handlers, with request bodies generated from the same zod schemas that validate them, so the
 * document cannot drift from the validation. A test checks that every route is documented and
 * every documented operation is routed.
 */
export interface OperationSpec {
  summary: string
  tag: string
  /** How the caller authenticates: an access token, an admin access token, or client credentials. */
  security?: 'bearer' | 'admin' | 'client'
  body?: { schema: z.ZodType; contentType?: 'application/json' | 'application/x-www-form-urlencoded' }
  /** Query parameters: the zod object that validates them, every field a string as it arrives. */
  query?: z.ZodType
  /** Status -> description, and the response schema when there is a body. Error statuses get the error shape. */
  responses: Record<number, string | { description: string; schema: Record<string, unknown> | z.ZodType }>
}

/** `'POST /login'` -> operation. Paths use Koa's `:param` syntax; the document converts them. */
export type OperationSpecs = Record<string, OperationSpec>

/**
 * Errors every request of a kind can get, to spread into `responses` (a later, specific entry for
 * the same status overrides the text). A body can be refused before any handler runs; whatever
 * touches the database can find it unreachable.
 */
export const JSON_BODY_ERRORS = {
  400: 'invalid_request: malformed JSON, or a missing, unknown or invalid field',
  413: 'invalid_request: the body exceeds LATCH_BODY_LIMIT',
  415: 'invalid_request: not application/json, or compressed (a Content-Encoding other than identity)',
} as const

export const FORM_BODY_ERRORS = {
  400: 'invalid_request: a missing, repeated or invalid parameter',
  413: 'invalid_request: the body exceeds LATCH_BODY_LIMIT',
  415: 'invalid_request: not application/x-www-form-urlencoded, or compressed (a Content-Encoding other than identity)',
} as const

export const UNAVAILABLE = { 503: 'temporarily_unavailable: the database cannot be reached; retry' } as const

export const ErrorBody = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: {
    error: { type: 'string', description: 'A stable, machine-readable code (RFC 6749 style).' },
    error_description: { type: 'string', description: 'A fixed, human-readable explanation.' },
  },
} as const

export const TokenPairBody = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in', 'refresh_token', 'refresh_expires_in'],
  properties: {
    access_token: { type: 'string', description: 'RFC 9068 JWT access token' },
    token_type: { const: 'Bearer' },
    expires_in: { type: 'integer', description: 'seconds' },
    refresh_token: { type: 'string', description: 'one-time refresh token (latch_rt_...)' },
    refresh_expires_in: { type: 'integer', description: 'seconds until the refresh token lapses if unused' },
  },
} as const

export function buildOpenApiDocument(specs: OperationSpecs, info: { issuer: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const [route, spec] of Object.entries(specs)) {
    const [method, path] = route.split(' ') as [string, string]
    const openApiPath = path.replace(/:([A-Za-z_]+)/g, '{$1}')
    const parameters: Record<string, unknown>[] = [...path.matchAll(/:([A-Za-z_]+)/g)].map((match) => ({ name: match[1], in: 'path', required: true, schema: { type: 'string' } }))
    if (spec.query) parameters.push(...queryParameters(spec.query))
    paths[openApiPath] ??= {}
    paths[openApiPath][method.toLowerCase()] = {
      summary: spec.summary,
      tags: [spec.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(spec.security ? { security: [{ [spec.security === 'client' ? 'clientCredentials' : 'bearerAccessToken']: [] }] } : {}),
      ...(spec.body ? { requestBody: { required: true, content: { [spec.body.contentType ?? 'application/json']: { schema: jsonSchema(spec.body.schema) } } } } : {}),
      responses: Object.fromEntries(Object.entries(spec.responses).map(([status, response]) => [status, describeResponse(Number(status), response)])),
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Latch', version: info.version, description: 'Authorization server for first-party frontend apps.' },
    servers: [{ url: info.issuer }],
    paths,
    components: {
      securitySchemes: {
        bearerAccessToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        clientCredentials: { type: 'http', scheme: 'basic', description: 'client_id and client_secret (or client_secret_post)' },
      },
      schemas: { Error: ErrorBody, TokenPair: TokenPairBody },
    },
  }
}

function describeResponse(status: number, response: OperationSpec['responses'][number]) {
  if (typeof response === 'string') {
    return status >= 400 ? { description: response, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } : { description: response }
  }
  return { description: response.description, content: { 'application/json': { schema: jsonSchema(response.schema) } } }
}

function queryParameters(schema: z.ZodType): Record<string, unknown>[] {
  const object = jsonSchema(schema) as { properties?: Record<string, Record<string, unknown>>; required?: string[] }
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: object.required?.includes(name) ?? false,
    schema: property,
  }))
}

function jsonSchema(schema: Record<string, unknown> | z.ZodType): Record<string, unknown> {
  if (!(schema instanceof z.ZodType)) return schema
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>
  return rest
}
