// Prisma's WebAssembly schema engine, driven through a driver adapter. The Prisma CLI would use
// a native schema-engine binary that cannot be downloaded here, so migrations go through this.
import { readFileSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as wasmBindings from '@prisma/schema-engine-wasm/schema_engine_bg'
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg'
import {
  bindMigrationAwareSqlAdapterFactory,
  DriverAdapterError,
  type SqlDriverAdapter,
  type SqlDriverAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils'

export const noFilters: SchemaFilter = { externalTables: [], externalEnums: [] }

let initialized = false
let openEngines = 0
const pendingTimers = new Set<NodeJS.Timeout>()

/**
 * The package's entry module imports the .wasm file as an ES module, which Node 20 does not
 * support without a flag, so instantiate it by hand the way the Prisma CLI does.
 */
function initWasm(): void {
  if (initialized) return
  const jsUrl = import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg')
  const bytes = readFileSync(fileURLToPath(jsUrl.replace(/\.js$/, '.wasm')))
  const imports: Record<string, unknown> = { ...wasmBindings }
  // The engine arms timeouts (10 s around its advisory lock) but has no way to clear them, so each
  // engine would hold the process open that long after its work is done: track them instead.
  for (const name of Object.keys(imports).filter((key) => key.startsWith('__wbg_setTimeout_'))) {
    imports[name] = (callback: () => void, ms: number) => {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer)
        callback()
      }, ms >>> 0)
      pendingTimers.add(timer)
      return timer
    }
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    './schema_engine_bg.js': imports as WebAssembly.ModuleImports,
  })
  wasmBindings.__wbg_set_wasm(instance.exports)
  ;(instance.exports.__wbindgen_start as () => void)()
  initialized = true
}

/**
 * Runs `work` with an engine connected to the database behind the factory, then frees it. The
 * engine's main connection is the caller's to close (the engine never disposes it).
 */
export async function withSchemaEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  work: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  initWasm()
  // The callback receives the engine's JSON log lines; they only matter when debugging the engine.
  const log = process.env.LATCH_SCHEMA_ENGINE_DEBUG ? (line: string) => console.error(line) : () => {}
  openEngines++
  try {
    const engine = await wasmBindings.SchemaEngine.new({ datamodels: undefined }, log, bindMigrationAwareSqlAdapterFactory(factory))
    try {
      return await work(engine)
    } finally {
      engine.free()
    }
  } finally {
    // Only when no engine is left: a timer may still be some running engine's.
    if (--openEngines === 0) {
      for (const timer of pendingTimers) clearTimeout(timer)
      pendingTimers.clear()
    }
  }
}

/** Applying migrations never needs a shadow database, so plain factories get a refusing one. */
export function migrationAware(factory: SqlDriverAdapterFactory): SqlMigrationAwareDriverAdapterFactory {
  if ('connectToShadowDb' in factory && typeof factory.connectToShadowDb === 'function') {
    return factory as SqlMigrationAwareDriverAdapterFactory
  }
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => factory.connect(),
    connectToShadowDb: () => Promise.reject(new Error('no shadow database configured')),
  }
}

/**
 * @prisma/adapter-pg runs a script by splitting it on every ";" (even one inside a string literal)
 * and sending the pieces to whichever pool connection is free, outside any transaction, so a
 * failing migration is left half-applied. Send the whole script as one simple query instead:
 * PostgreSQL then runs it in one implicit transaction, as the native schema engine does.
 */
export function pgWholeScripts<A extends SqlDriverAdapter>(adapter: A): A {
  type Pool = { query(text: string): Promise<unknown> }
  const pool = (adapter as { underlyingDriver?: () => Pool }).underlyingDriver?.()
  if (adapter.provider !== 'postgres' || !pool) return adapter
  adapter.executeScript = async (script) => {
    try {
      await pool.query(script)
    } catch (error) {
      const pgError = error as { code?: unknown; severity?: string; message: string; detail?: string; column?: string; hint?: string }
      if (typeof pgError.code !== 'string') throw error
      // The shape the engine renders as "Error querying the database: …".
      throw new DriverAdapterError({
        kind: 'postgres',
        code: pgError.code,
        severity: pgError.severity ?? 'ERROR',
        message: pgError.message,
        detail: pgError.detail,
        column: pgError.column,
        hint: pgError.hint,
      })
    }
  }
  return adapter
}

/** Reads a migrations folder exactly as the Prisma CLI does before handing it to the engine. */
export async function readMigrationsList(baseDir: string): Promise<MigrationList> {
  const lockPath = 'migration_lock.toml'
  const lockContent = await readFile(join(baseDir, lockPath), 'utf8').catch(() => null)
  const entries = await readdir(baseDir, { withFileTypes: true }).catch(() => [])
  const migrationDirectories = await Promise.all(
    entries
      .filter((entry) => entry.isDirectory())
      .map(async (entry) => {
        const file = 'migration.sql'
        const content = await readFile(join(baseDir, entry.name, file), 'utf8').then(
          (value) => ({ tag: 'ok' as const, value }),
          (error: Error) => ({ tag: 'error' as const, value: error.message }),
        )
        return { path: entry.name, migrationFile: { path: file, content } }
      }),
  )
  migrationDirectories.sort((a, b) => a.path.localeCompare(b.path))
  return {
    baseDir,
    lockfile: { path: lockPath, content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  }
}
