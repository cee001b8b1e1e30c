import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { arch, cpus, loadavg, platform } from 'node:os'
import { dirname, join } from 'node:path'
import { REPO_ROOT } from './child.js'
import type { Profile } from './profile.js'
import { pairwiseRatios, summarise, type Summary } from './stats.js'

export type Unit = 'req/s' | 'op/s' | 'ms' | 'µs'

export interface Target {
  text: string
  met: boolean
}

/** One measured figure: Latch's, its floor's from the same run, and their per-round ratio. */
export interface Row {
  measure: string
  unit: Unit
  latch: Summary
  floor: Summary
  /** Per-round Latch / floor. */
  ratio: Summary
  target?: Target
}

/** A benchmark's table block: what Latch is compared with, and the rows. */
export interface Section {
  benchmark: string
  title: string
  /** What the floor is, in one sentence. */
  floor: string
  rows: Row[]
  notes: string[]
  /** Set when the benchmark did not complete; the run then fails. */
  error?: string
  /** The run that measured this section (a partial run keeps the other sections of an earlier one). */
  measured?: { startedAt: string; commit: string; loadAverage: string }
}

export interface Report {
  profile: Profile
  startedAt: string
  seconds: number
  machine: Record<string, string | number>
  versions: Record<string, string>
  /** The benchmarks this run measured; `partial` when they were a subset of the suite. */
  benchmarks: string[]
  partial: boolean
  sections: Section[]
}

export function row(measure: string, unit: Unit, latch: number[], floor: number[], target?: (ratio: Summary, latch: Summary) => Target): Row {
  const latchSummary = summarise(latch)
  const ratio = summarise(pairwiseRatios(latch, floor))
  return { measure, unit, latch: latchSummary, floor: summarise(floor), ratio, ...(target ? { target: target(ratio, latchSummary) } : {}) }
}

/** Latch must reach at least `fraction` of what it is compared with (throughput). */
export const atLeast = (fraction: number, versus = 'floor') => (ratio: Summary): Target => ({
  text: `≥ ${fraction.toFixed(2)}× ${versus}`,
  met: ratio.median >= fraction,
})

/** Latch's figure may be at most `factor` times the other's (latency). */
export const atMost = (factor: number, versus = 'floor') => (ratio: Summary): Target => ({
  text: `≤ ${factor.toFixed(1)}× ${versus}`,
  met: ratio.median <= factor,
})

/** Latch's own figure must stay under `milliseconds` (latency). */
export const under = (milliseconds: number) => (_ratio: Summary, latch: Summary): Target => ({
  text: `Latch < ${milliseconds} ms`,
  met: latch.median < milliseconds,
})

export function machineInfo(): Record<string, string | number> {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    } catch {
      return ''
    }
  }
  const commit = git('rev-parse', '--short', 'HEAD')
  const dirty = git('status', '--porcelain', '--', 'src', 'prisma', 'package.json') !== ''
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${platform()} ${arch()}`,
    commit: commit ? `${commit}${dirty ? ' (+ uncommitted changes)' : ''}` : 'unknown',
    loadAverage: loadAverage(),
  }
}

/** The 1-minute load average, which says how shared the machine was. */
export function loadAverage(): string {
  return loadavg()[0]!.toFixed(1)
}

export function versions(): Record<string, string> {
  const version = (name: string) => {
    try {
      return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
    } catch {
      return 'missing'
    }
  }
  return Object.fromEntries(['autocannon', 'oidc-provider', 'better-sqlite3', 'pg', 'jose', 'argon2', 'koa', '@prisma/client'].map((name) => [name, version(name)]))
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return '–'
  if (unit === 'ms') return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : integer.format(value)
  if (unit === 'µs') return integer.format(value)
  return value >= 100 ? integer.format(value) : value.toFixed(1)
}

function formatSummary(summary: Summary, unit: Unit): string {
  const suffix = unit === 'ms' ? ' ms' : unit === 'µs' ? ' µs' : '/s'
  if (summary.samples.length === 1) return `${formatValue(summary.median, unit)}${suffix}`
  return `${formatValue(summary.median, unit)}${suffix} (${formatValue(summary.min, unit)}–${formatValue(summary.max, unit)})`
}

function formatRatio(ratio: Summary): string {
  if (ratio.samples.length === 1) return `${ratio.median.toFixed(2)}×`
  return `${ratio.median.toFixed(2)}× (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`
}

export function renderMarkdown(report: Report): string {
  const { machine, profile } = report
  const lines: string[] = []
  lines.push('# Latch benchmarks', '')
  lines.push(
    `Measured by \`npm run bench${profile.name === 'smoke' ? ' -- --smoke' : ''}\` on ${report.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} ` +
      `(${Math.round(report.seconds)} s): **${machine.cpus} CPUs (${machine.cpuModel})**, Node ${machine.node}, ${machine.platform}, commit ${machine.commit}. ` +
      `1-minute load average ${machine.loadAverage} at the start, ${machine.loadAverageAtEnd ?? '?'} at the end.`,
  )
  lines.push(
    '',
    `Each point: ${profile.warmupSeconds > 0 ? `a ${profile.warmupSeconds} s warm-up per side` : 'no warm-up'}, then ${profile.rounds} round${profile.rounds === 1 ? '' : 's'} of ${profile.roundSeconds} s ` +
      `(${profile.microSeconds} s for in-process signing), Latch and its floor alternating, so both sides of a round see the same ` +
      'moment of a shared machine. Figures are medians of the rounds (min–max); a ratio is the median of the per-round Latch ÷ floor ' +
      'ratios. Absolute figures depend on the machine; the ratios are what to compare.',
  )
  const earlier = report.sections.filter((section) => section.measured && section.measured.startedAt !== report.startedAt)
  if (earlier.length > 0) {
    lines.push('', `This run measured ${report.benchmarks.join(', ')}; sections marked † come from earlier runs (see below).`)
  }
  if (report.partial) lines.push('', 'Partial table: some benchmarks of the suite have not been measured yet.')
  lines.push('', '| Benchmark | Measure | Latch | Floor | Latch ÷ floor | Target | Status |', '|---|---|---|---|---|---|---|')
  for (const section of report.sections) {
    if (section.error) {
      lines.push(`| ${section.title} | — | — | — | — | — | **failed**: ${escapeCell(section.error.split('\n')[0] ?? '')} |`)
      continue
    }
    for (const r of section.rows) {
      const status = r.target ? (r.target.met ? 'met' : '**missed**') : ''
      lines.push(
        `| ${section.title}${earlier.includes(section) ? ' †' : ''} | ${r.measure} | ${formatSummary(r.latch, r.unit)} | ${formatSummary(r.floor, r.unit)} | ${formatRatio(r.ratio)} | ${r.target?.text ?? ''} | ${status} |`,
      )
    }
  }
  const targets = report.sections.flatMap((section) => section.rows.filter((r) => r.target).map((r) => ({ section, r })))
  const missed = targets.filter(({ r }) => !r.target!.met)
  lines.push('', `**Targets: ${targets.length - missed.length} of ${targets.length} met.**` + (missed.length ? ' Missed:' : ''))
  for (const { section, r } of missed) {
    lines.push(`- ${section.title}, ${r.measure}: Latch ${formatSummary(r.latch, r.unit)}, ${formatRatio(r.ratio)}; target ${r.target!.text}`)
  }
  lines.push('', '## What each floor is', '')
  for (const section of report.sections) {
    lines.push(`- **${section.title}**: ${section.floor}`)
    for (const note of section.notes) lines.push(`  ${note}`)
    if (earlier.includes(section)) {
      const { startedAt, commit, loadAverage } = section.measured!
      lines.push(`  † Measured by an earlier run on ${startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}, commit ${commit}, load average ${loadAverage}.`)
    }
  }
  lines.push('', `Tools: ${Object.entries(report.versions).map(([name, version]) => `${name} ${version}`).join(', ')}.`, '')
  return lines.join('\n')
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').slice(0, 300)
}

export function writeFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, content)
}
