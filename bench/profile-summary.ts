/**
 * Summarises a V8 CPU profile (from BENCH_CPU_PROF=<dir> npm run bench -- <name>): the functions
 * with the most self time, and self time by package. Usage:
 *   npx tsx bench/profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, topArgument] = process.argv.slice(2)
if (!file) {
  process.stderr.write('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top]\n')
  process.exit(2)
}
const top = Number(topArgument ?? 25)
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile

const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const selfMicros = new Map<number, number>()
profile.samples.forEach((id, index) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)))
const total = [...selfMicros.values()].reduce((sum, value) => sum + value, 0)

/** Where a function lives: a package under node_modules, a file of ours, or V8/Node internals. */
function packageOf(url: string): string {
  if (!url) return '(native / V8)'
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (module) return module[1]!
  if (url.startsWith('node:')) return url
  const ours = /\/(src|bench)\/(.*)$/.exec(url)
  return ours ? `${ours[1]}/${ours[2]}` : url
}

const functions = new Map<string, number>()
const packages = new Map<string, number>()
for (const [id, micros] of selfMicros) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame
  const where = packageOf(url)
  const key = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`
  functions.set(key, (functions.get(key) ?? 0) + micros)
  packages.set(where, (packages.get(where) ?? 0) + micros)
}

const print = (title: string, entries: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`)
  for (const [key, micros] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${key}\n`)
  }
}
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s of samples\n`)
print('Self time by function', functions)
print('Self time by package / file', packages)
