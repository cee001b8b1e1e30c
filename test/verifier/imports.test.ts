import test from 'ava'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import ts from 'typescript'

/**
 * latch/verifier is importable on its own by any Node service: files under src/verifier import
 * only each other, node:* modules, jose and eventsource-parser. Never Prisma, Koa or the server.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const VERIFIER = join(ROOT, 'src', 'verifier')
const PACKAGES = ['jose', 'eventsource-parser']

/** Every module specifier a TypeScript source names: imports, re-exports, import(), require(), import types. */
function moduleSpecifiers(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const found: string[] = []
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteralLike(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text)
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteralLike(node.moduleReference.expression)) {
      found.push(node.moduleReference.expression.text)
    } else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      const [argument] = node.arguments
      found.push(argument && ts.isStringLiteralLike(argument) ? argument.text : '<computed>')
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteralLike(node.argument.literal)) {
      found.push(node.argument.literal.text)
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  return found
}

/** Why `specifier`, imported by `fileName` (under src/verifier), is not allowed; null when it is. */
function forbidden(fileName: string, specifier: string): string | null {
  if (specifier.startsWith('node:')) return null
  if (PACKAGES.includes(specifier)) return null
  if (specifier.startsWith('.')) {
    const target = resolve(dirname(fileName), specifier.replace(/\.js$/, '.ts'))
    if (!target.startsWith(VERIFIER + sep)) return `${specifier} leaves src/verifier`
    if (!existsSync(target)) return `${specifier} does not exist`
    return null
  }
  return `${specifier} is neither node:*, ${PACKAGES.join(', ')} nor a file of src/verifier`
}

const sources = readdirSync(VERIFIER, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.ts'))
  .map((name) => join(VERIFIER, name))

test('every file under src/verifier imports only each other, node:*, jose and eventsource-parser', (t) => {
  t.true(sources.length >= 10, 'the scan sees the verifier')
  const violations = sources.flatMap((fileName) =>
    moduleSpecifiers(fileName, readFileSync(fileName, 'utf8'))
      .map((specifier) => forbidden(fileName, specifier))
      .filter((reason): reason is string => reason !== null)
      .map((reason) => `${relative(ROOT, fileName)}: ${reason}`),
  )
  t.deepEqual(violations, [])
})

test('the scan catches every way of importing something else', (t) => {
  const fileName = join(VERIFIER, 'example.ts')
  const source = `
    import { x } from '../storage/stores.js'
    import type { Context } from 'koa'
    export * from '../domain/clock.js'
    export { y } from '@prisma/client'
    import events = require('events')
    const pg = require('pg')
    const lazy = await import('pino')
    type T = import('zod').ZodType
    import { fine } from './errors.js'
    import { readFile } from 'node:fs/promises'
    import { jwtVerify } from 'jose'
  `
  const specifiers = moduleSpecifiers(fileName, source)
  t.deepEqual(specifiers, ['../storage/stores.js', 'koa', '../domain/clock.js', '@prisma/client', 'events', 'pg', 'pino', 'zod', './errors.js', 'node:fs/promises', 'jose'])
  t.deepEqual(
    specifiers.filter((specifier) => forbidden(fileName, specifier) !== null),
    ['../storage/stores.js', 'koa', '../domain/clock.js', '@prisma/client', 'events', 'pg', 'pino', 'zod'],
  )
})

test('package.json exports ./verifier as the compiled entry point with its types, and pins its dependencies', (t) => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  t.deepEqual(manifest.exports['./verifier'], { types: './dist/verifier/index.d.ts', default: './dist/verifier/index.js' })
  t.is(manifest.bin.latch, 'bin/latch.js', 'the command stays')
  for (const name of PACKAGES) t.regex(manifest.dependencies[name] ?? '', /^\d+\.\d+\.\d+$/, `${name} is a dependency at an exact version`)
  const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8'))
  t.is(build.compilerOptions.rootDir, 'src', 'src/verifier/index.ts compiles to dist/verifier/index.js')
  t.true(build.compilerOptions.declaration)
  t.deepEqual(build.include, ['src'])
})

test('compiled alone, src/verifier/index.ts pulls in no other source file and loads in plain Node', async (t) => {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!
  mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true })
  // Inside the repository, so that the compiled files resolve jose from its node_modules.
  const outDir = mkdtempSync(join(ROOT, 'node_modules', '.cache', 'verifier-build-'))
  t.teardown(() => rmSync(outDir, { recursive: true, force: true }))
  const program = ts.createProgram([join(VERIFIER, 'index.ts')], { ...parsed.options, outDir, sourceMap: false })
  const own = program
    .getSourceFiles()
    .filter((file) => !file.isDeclarationFile)
    .map((file) => relative(ROOT, file.fileName))
  t.true(own.length >= 10)
  t.deepEqual(
    own.filter((fileName) => !fileName.startsWith(`src${sep}verifier${sep}`) && !fileName.startsWith('src/verifier/')),
    [],
    'no source file outside src/verifier is part of the build',
  )
  const emitted = program.emit()
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
  t.deepEqual(diagnostics, [])
  const entry = join(outDir, 'verifier', 'index.js')
  t.true(existsSync(join(outDir, 'verifier', 'index.d.ts')))
  const script = `const m = await import(${JSON.stringify(pathToFileURL(entry).href)}); console.log(JSON.stringify(Object.keys(m).sort()))`
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: outDir })
  t.deepEqual(JSON.parse(stdout), ['VerifierError', 'createVerifier'])
})
