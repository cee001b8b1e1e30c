import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import { AUDIT_EVENT_TYPES } from '../../src/domain/ports.js'

/**
 * The audit event types Latch lists (the admin filter, `latch audit --type`, the OpenAPI
 * document) are the ones it records: a listed type that nothing writes would be a filter that
 * always comes back empty, and a promise the trail does not keep.
 */

const SRC = fileURLToPath(new URL('../../src/', import.meta.url))

function sources(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name)
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sources(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

test('every listed audit event type is recorded somewhere outside the list itself', (t) => {
  const code = sources(SRC)
    .filter((path) => !path.endsWith(join('domain', 'ports.ts')))
    .map((path) => readFileSync(path, 'utf8'))
    .join('\n')
  for (const type of AUDIT_EVENT_TYPES) {
    t.true(new RegExp(`type: '${type}'`).test(code), `${type} is listed but no audit record of that type is written`)
  }
})
