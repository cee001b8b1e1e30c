import { builtinModules } from 'node:module'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'

/**
 * Every package the code imports is declared in package.json, at the exact version installed:
 * what src/ imports (the server at run time) under dependencies, what only tests, benchmarks and
 * scripts import under either. A package that is only there as another's dependency can vanish or
 * change major version with that other's next release.
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}

function files(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name)
    if (statSync(path).isDirectory()) return ['generated', 'node_modules', 'results'].includes(name) ? [] : files(path)
    return /\.(ts|mts|js|mjs)$/.test(name) ? [path] : []
  })
}

// Static imports and re-exports (statements at the start of a line), side-effect imports, import().
const SPECIFIERS = [/^\s*(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g]
const BUILTINS = new Set(builtinModules)

/** The packages a file imports: bare specifiers, without subpaths, Node's built-ins excluded. */
function importedPackages(path: string): string[] {
  const text = readFileSync(path, 'utf8')
  const packages = new Set<string>()
  for (const pattern of SPECIFIERS) {
    for (const [, specifier] of text.matchAll(pattern)) {
      if (!specifier || specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) continue
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!
      if (!BUILTINS.has(name)) packages.add(name)
    }
  }
  return [...packages]
}

function undeclared(directories: string[], declared: Record<string, string>): string[] {
  const missing = new Set<string>()
  for (const directory of directories) {
    for (const path of files(join(ROOT, directory))) {
      for (const name of importedPackages(path)) if (!(name in declared)) missing.add(`${name} (${relative(ROOT, path)})`)
    }
  }
  return [...missing].sort()
}

test('every package src/ imports is a runtime dependency', (t) => {
  t.deepEqual(undeclared(['src', 'bin'], manifest.dependencies), [])
})

test('every package tests, benchmarks and scripts import is declared', (t) => {
  t.deepEqual(undeclared(['test', 'bench', 'scripts'], { ...manifest.dependencies, ...manifest.devDependencies }), [])
})

test('every dependency is pinned to the exact version installed', (t) => {
  for (const [name, version] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
    t.regex(version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, `${name} is pinned exactly`)
    const installed = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
    t.is(installed.version, version, `${name} is installed at the version declared`)
  }
})
