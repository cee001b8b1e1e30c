import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { JWK } from 'jose'
import { z } from 'zod'
import type { KeySource } from '../config.js'
import { KeyRing, type SigningAlgorithm } from '../domain/tokens/key-ring.js'

/** The secrets Latch signs and derives with. Never logged. */
export interface KeyMaterial {
  keyRing: KeyRing
  /** HMAC key that derives a refresh token's successor from its secret. */
  refreshTokenKey: Buffer
}

const PrivateJwk = z.looseObject({ kty: z.string(), alg: z.string(), d: z.string() })
const SigningKeys = z.union([z.array(PrivateJwk).min(1), z.object({ keys: z.array(PrivateJwk).min(1) }).transform((set) => set.keys)])
const KeyFile = z.object({ signingKeys: z.array(PrivateJwk).min(1), refreshTokenKey: z.string().min(43) })
type KeyFile = z.infer<typeof KeyFile>

export async function loadKeys(source: KeySource): Promise<KeyMaterial> {
  if (source.kind === 'environment') {
    const signingKeys = parseJson(source.signingKeys, SigningKeys, 'LATCH_SIGNING_KEYS')
    return { keyRing: await KeyRing.fromPrivateJwks(signingKeys as JWK[]), refreshTokenKey: Buffer.from(source.refreshTokenKey, 'base64url') }
  }
  const file = await readOrCreateKeyFile(resolve(source.path), source.algorithm)
  return { keyRing: await KeyRing.fromPrivateJwks(file.signingKeys as JWK[]), refreshTokenKey: Buffer.from(file.refreshTokenKey, 'base64url') }
}

/** Fresh production key variables, printed by `latch generate-keys`. */
export async function generateKeyVariables(algorithm: SigningAlgorithm): Promise<Record<string, string>> {
  return {
    LATCH_SIGNING_KEYS: JSON.stringify({ keys: [await KeyRing.generatePrivateJwk(algorithm)] }),
    LATCH_REFRESH_TOKEN_KEY: randomBytes(32).toString('base64url'),
  }
}

/**
 * Development keys live in a git-ignored file created on first start (mode 0600). When the
 * configured algorithm changes, a key for it is put in front and the old ones stay to verify
 * tokens they already signed.
 */
async function readOrCreateKeyFile(path: string, algorithm: SigningAlgorithm): Promise<KeyFile> {
  const existing = await readKeyFile(path)
  if (existing && existing.signingKeys[0]?.alg === algorithm) return existing
  const file: KeyFile = {
    signingKeys: [await KeyRing.generatePrivateJwk(algorithm), ...(existing?.signingKeys ?? [])] as KeyFile['signingKeys'],
    refreshTokenKey: existing?.refreshTokenKey ?? randomBytes(32).toString('base64url'),
  }
  await mkdir(dirname(path), { recursive: true })
  try {
    // 'wx' on first creation: two processes starting at once must not each write a different key.
    await writeFile(path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600, flag: existing ? 'w' : 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return (await readKeyFile(path))!
    throw error
  }
  return file
}

async function readKeyFile(path: string): Promise<KeyFile | null> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  return parseJson(text, KeyFile, path)
}

function parseJson<T>(text: string, schema: z.ZodType<T>, source: string): T {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new Error(`${source} is not valid JSON`)
  }
  const parsed = schema.safeParse(value)
  // The issues name paths only: the values are private keys and must not reach a log.
  if (!parsed.success) throw new Error(`${source} is not a valid key set: ${parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ')}`)
  return parsed.data
}
