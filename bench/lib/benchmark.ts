import type { Provider } from './databases.js'
import type { KeyVariables } from './latch-server.js'
import type { Profile } from './profile.js'
import type { Section } from './report.js'

export interface BenchContext {
  profile: Profile
  /** Signing and refresh-token keys shared by every child of the run, so tokens verify everywhere. */
  keys: KeyVariables
  /** The databases this run measures (PostgreSQL only when reachable). */
  providers: Provider[]
  /** When set, Latch server children write V8 CPU profiles here (BENCH_CPU_PROF=dir). */
  cpuProfileDir?: string
  log(message: string): void
}

/** One file under bench/ exports one of these; bench/run.ts runs them in order. */
export interface Benchmark {
  name: string
  description: string
  run(context: BenchContext): Promise<Section[]>
}

export function clientsLabel(clients: number): string {
  return `${clients} client${clients === 1 ? '' : 's'}`
}

/** Options for LatchServer.start that turn on CPU profiling when the run asks for it. */
export function cpuProfile(context: BenchContext): { cpuProfileDir?: string } {
  return context.cpuProfileDir ? { cpuProfileDir: context.cpuProfileDir } : {}
}
