import { existsSync } from 'node:fs'
import { InvalidArgumentError } from 'commander'
import { loadConfig, type Config } from '../config.js'
import { createLatch, type Latch } from '../latch.js'
import { createLogger } from '../logger.js'

/** Reads `.env` from the working directory (if any) under the real environment, then validates. */
export function cliConfig(): Readonly<Config> {
  if (existsSync('.env')) process.loadEnvFile('.env')
  return loadConfig()
}

/**
 * Runs one operator command against a fully built Latch (migrated first, so a command works on a
 * fresh database), and closes it afterwards.
 */
export async function withLatch<T>(work: (latch: Latch) => Promise<T>): Promise<T> {
  const latch = await createLatch(cliConfig(), { migrate: true, logger: createLogger('warn') })
  try {
    return await work(latch)
  } finally {
    await latch.close()
  }
}

/** Prints one object as JSON, for scripts (the `--json` of a verb). */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2))
}

/** Prints rows as an aligned table for people, or as JSON for scripts. */
export function printRows(rows: Record<string, unknown>[], options: { json?: boolean }): void {
  if (options.json) {
    console.log(JSON.stringify(rows, null, 2))
    return
  }
  if (rows.length === 0) {
    console.log('(none)')
    return
  }
  const columns = Object.keys(rows[0]!)
  const cell = (value: unknown) => (value === null || value === undefined ? '-' : value instanceof Date ? value.toISOString() : String(value))
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)))
  const line = (values: string[]) => values.map((value, index) => value.padEnd(widths[index]!)).join('  ').trimEnd()
  console.log(line(columns.map((column) => column.toUpperCase())))
  for (const row of rows) console.log(line(columns.map((column) => cell(row[column]))))
}

/** One page of a listing: a table followed by how to get the next page, or `{items, next_cursor}` as JSON. */
export function printPage(rows: Record<string, unknown>[], nextCursor: string | null, options: { json?: boolean }): void {
  if (options.json) {
    console.log(JSON.stringify({ items: rows, next_cursor: nextCursor }, null, 2))
    return
  }
  printRows(rows, options)
  if (nextCursor) console.log(`more: repeat with --cursor ${nextCursor}`)
}

/** A commander argument parser for options such as --limit: digits only, the range is the domain's to judge. */
export function wholeNumber(value: string): number {
  if (!/^[0-9]{1,9}$/.test(value)) throw new InvalidArgumentError('must be a whole number')
  return Number(value)
}
