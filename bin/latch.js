#!/usr/bin/env node
// The `latch` command. It runs the compiled CLI; `npm install` (or `npm run build`) produces it.
import { existsSync } from 'node:fs'

const entry = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('latch: not built yet. Run `npm install` (or `npm run build`) in the Latch directory first.\n')
  process.exit(1)
}
await import(entry.href)
