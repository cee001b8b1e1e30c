/**
 * The benchmark runner: `npm run bench` (the whole suite), `npm run bench -- refresh me` (some;
 * `npm run bench:edge` is `npm run bench -- verifier propagation`),
 * `npm run bench:smoke` or `npm run bench -- --smoke` (every benchmark with tiny rounds; exits
 * non-zero if any benchmark crashed or a server under test answered an error, so CI keeps the
 * suite alive). BENCH_CPU_PROF=<dir> makes every Latch server child write a V8 CPU profile there
 * (summarise one with `npx tsx bench/profile-summary.ts <file>`).
 *
 * Results: bench/results/latest.json and bench/results/latest.md. A run of some benchmarks
 * replaces only their sections there (the others stay, marked with the run that measured them).
 * Smoke runs write only bench/results/smoke.json, profiled runs only profiled.json. The Markdown
 * table is printed either way.
 */
import { readFileSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { generateStaticKeyVariables } from '../src/keys/load-keys.js'
import { REPO_ROOT, runDir } from './lib/child.js'
import type { BenchContext, Benchmark } from './lib/benchmark.js'
import { availableProviders } from './lib/databases.js'
import { FULL, SMOKE } from './lib/profile.js'
import { loadAverage, machineInfo, renderMarkdown, versions, writeFile, type Report, type Section } from './lib/report.js'
import { login } from './login.js'
import { me } from './me.js'
import { peerOidcProvider } from './peer-oidc-provider.js'
import { refresh } from './refresh.js'
import { signing } from './signing.js'
import { propagation } from './propagation.js'
import { verifier } from './verifier.js'

const SUITE: Benchmark[] = [refresh, login, me, signing, verifier, propagation, peerOidcProvider]

const args = process.argv.slice(2)
const smoke = args.includes('--smoke')
const names = args.filter((arg) => !arg.startsWith('--'))
const unknown = names.filter((name) => !SUITE.some((benchmark) => benchmark.name === name))
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${SUITE.map((b) => b.name).join(', ')}\n`)
  process.exit(2)
}
const selected = names.length > 0 ? SUITE.filter((benchmark) => names.includes(benchmark.name)) : SUITE
const profile = smoke ? SMOKE : FULL

const started = Date.now()
const machine = machineInfo()
const log = (message: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`)
const context: BenchContext = {
  profile,
  // Static keys: the peer (oidc-provider) and the in-process signing bench sign with the same key.
  keys: await generateStaticKeyVariables('EdDSA'),
  providers: await availableProviders((message) => log(`warning: ${message}`)),
  ...(process.env.BENCH_CPU_PROF ? { cpuProfileDir: resolve(process.env.BENCH_CPU_PROF) } : {}),
  log,
}

const sections: Section[] = []
for (const benchmark of selected) {
  log(`${benchmark.name}: ${benchmark.description}`)
  try {
    sections.push(...(await benchmark.run(context)))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    log(`${benchmark.name} FAILED: ${error instanceof Error ? (error.stack ?? message) : message}`)
    sections.push({ benchmark: benchmark.name, title: benchmark.name, floor: '(did not complete)', rows: [], notes: [], error: message })
  }
}

const thisRun = { startedAt: new Date(started).toISOString(), commit: String(machine.commit), loadAverage: String(machine.loadAverage) }
for (const section of sections) section.measured = thisRun
const results = resolve(REPO_ROOT, 'bench', 'results')
// Smoke and profiled runs measure nothing worth keeping: they never touch latest.*.
const output = smoke ? 'smoke' : context.cpuProfileDir ? 'profiled' : 'latest'
// `npm run bench -- <name>` replaces only its own sections of latest.*; the others stay, dated.
const kept = output === 'latest' ? carriedOver(resolve(results, 'latest.json'), selected) : []
const report: Report = {
  profile,
  startedAt: thisRun.startedAt,
  seconds: (Date.now() - started) / 1000,
  machine: { ...machine, loadAverageAtEnd: loadAverage() },
  versions: versions(),
  benchmarks: selected.map((benchmark) => benchmark.name),
  partial: SUITE.some((benchmark) => ![...sections, ...kept].some((section) => section.benchmark === benchmark.name)),
  sections: SUITE.flatMap((benchmark) => [...sections, ...kept].filter((section) => section.benchmark === benchmark.name)),
}
const markdown = renderMarkdown(report)
writeFile(resolve(results, `${output}.json`), JSON.stringify(report, null, 2) + '\n')
if (output === 'latest') writeFile(resolve(results, 'latest.md'), markdown)
process.stdout.write(markdown)

/** The sections of the previous latest.json for benchmarks this run did not measure. */
function carriedOver(path: string, measuredNow: Benchmark[]): Section[] {
  let previous: Report
  try {
    previous = JSON.parse(readFileSync(path, 'utf8')) as Report
  } catch {
    return []
  }
  if (previous.profile?.name !== 'full') return []
  const names = new Set(measuredNow.map((benchmark) => benchmark.name))
  return previous.sections
    .filter((section) => !names.has(section.benchmark) && !section.error)
    .map((section) => ({ ...section, measured: section.measured ?? { startedAt: previous.startedAt, commit: String(previous.machine.commit), loadAverage: String(previous.machine.loadAverage) } }))
}

const failed = sections.filter((section) => section.error)
if (failed.length === 0) rmSync(runDir(), { recursive: true, force: true })
else log(`children's logs kept in ${runDir()}`)
log(`done in ${report.seconds.toFixed(0)} s${failed.length ? `; FAILED: ${failed.map((section) => section.benchmark).join(', ')}` : ''}`)
process.exit(failed.length > 0 ? 1 : 0)
