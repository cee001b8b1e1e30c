import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { JWK } from 'jose'
import { z } from 'zod'
import type { KeySource } from '../config.js'
import { KeyRing, type SigningAlgorithm } from '../domain/tokens/key-ring.js'

/**
 * The secrets Latch starts from. Never logged. In the default mode they are the key-encryption key
 * that seals the signing keys stored in the database, and the refresh-token key; in static mode
 * the signing keys themselves come from configuration.
 */
export type KeyMaterial =
  | { mode: 'database'; keyEncryptionKey: Buffer; refreshTokenKey: Buffer }
  | { mode: 'static'; keyRing: KeyRing; refreshTokenKey: Buffer }

const PrivateJwk = z.looseObject({ kty: z.string(), alg: z.string(), d: z.string() })
const SigningKeys = z.union([z.array(PrivateJwk).min(1), z.object({ keys: z.array(PrivateJwk).min(1) }).transform((set) => set.keys)])
const Secret = z.string().regex(/^[A-Za-z0-9_-]{43,}$/)
const KeyFile = z.object({ keyEncryptionKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/), refreshTokenKey: Secret })
type KeyFile = z.infer<typeof KeyFile>
/** Files written before keys moved to the database held signing keys; their refresh-token key is kept. */
const EarlierKeyFile = z.looseObject({ refreshTokenKey: Secret })

export async function loadKeys(source: KeySource): Promise<KeyMaterial> {
  switch (source.kind) {
    case 'static': {
      const signingKeys =
        typeof source.signingKeys === 'string'
          ? parseJson(source.signingKeys, SigningKeys, 'LATCH_SIGNING_KEYS')
          : parseJson(await readSigningKeysFile(source.signingKeys.file), SigningKeys, `LATCH_SIGNING_KEYS_FILE (${source.signingKeys.file})`)
      return { mode: 'static', keyRing: await KeyRing.fromPrivateJwks(signingKeys as JWK[]), refreshTokenKey: decode(source.refreshTokenKey) }
    }
    case 'environment':
      return { mode: 'database', keyEncryptionKey: decode(source.keyEncryptionKey), refreshTokenKey: decode(source.refreshTokenKey) }
    case 'file': {
      const file = await readOrCreateKeyFile(resolve(source.path))
      return { mode: 'database', keyEncryptionKey: decode(file.keyEncryptionKey), refreshTokenKey: decode(file.refreshTokenKey) }
    }
  }
}

/**
 * Fresh production key variables, printed by `latch generate-keys`: the key-encryption key and the
 * refresh-token key (identical on every replica), and the algorithm of the keys Latch generates.
 */
export async function generateKeyVariables(algorithm: SigningAlgorithm): Promise<Record<string, string>> {
  return {
    LATCH_KEY_ENCRYPTION_KEY: randomSecret(),
    LATCH_REFRESH_TOKEN_KEY: randomSecret(),
    LATCH_SIGNING_ALG: algorithm,
  }
}

/** Static mode (`latch generate-keys --static`): the signing key itself, fixed in configuration. */
export async function generateStaticKeyVariables(algorithm: SigningAlgorithm): Promise<Record<string, string>> {
  return {
    LATCH_SIGNING_KEYS: JSON.stringify({ keys: [await KeyRing.generatePrivateJwk(algorithm)] }),
    LATCH_REFRESH_TOKEN_KEY: randomSecret(),
  }
}

function randomSecret(): string {
  return randomBytes(32).toString('base64url')
}

function decode(secret: string): Buffer {
  return Buffer.from(secret, 'base64url')
}

/**
 * Development secrets live in a git-ignored file created on first start (mode 0600). It holds no
 * signing key: those are in the database, sealed under the file's key-encryption key. A file from
 * before that change is rewritten without its signing keys, keeping its refresh-token key so
 * existing sessions survive.
 */
async function readOrCreateKeyFile(path: string): Promise<KeyFile> {
  const text = await readText(path)
  if (text !== null) {
    const current = KeyFile.safeParse(safeJson(text))
    if (current.success) return current.data
  }
  const earlier = text === null ? null : parseJson(text, EarlierKeyFile, path)
  const file: KeyFile = { keyEncryptionKey: randomSecret(), refreshTokenKey: earlier?.refreshTokenKey ?? randomSecret() }
  await mkdir(dirname(path), { recursive: true })
  try {
    // 'wx' on first creation: two processes starting at once must not each write a different key.
    await writeFile(path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600, flag: earlier ? 'w' : 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return parseJson((await readText(path))!, KeyFile, path)
    throw error
  }
  return file
}

/**
 * The private JWK Set of LATCH_SIGNING_KEYS_FILE (relative paths from the working directory). Its
 * permissions are the operator's to set (a mounted secret is often 0444 inside its container); the
 * README asks for a file only Latch's user can read.
 */
async function readSigningKeysFile(path: string): Promise<string> {
  try {
    return await readFile(resolve(path), 'utf8')
  } catch (error) {
    throw new Error(`LATCH_SIGNING_KEYS_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function parseJson<T>(text: string, schema: z.ZodType<T>, source: string): T {
  const value = safeJson(text)
  if (value === undefined) throw new Error(`${source} is not valid JSON`)
  const parsed = schema.safeParse(value)
  // The issues name paths only: the values are private keys and must not reach a log.
  if (!parsed.success) throw new Error(`${source} is not a valid key set: ${parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ')}`)
  return parsed.data
}
