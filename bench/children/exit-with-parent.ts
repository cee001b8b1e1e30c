/**
 * Preloaded into every benchmark child (see bench/lib/child.ts): when the runner's IPC channel
 * closes (the runner finished, crashed or was killed), stop as if an operator sent SIGTERM.
 */
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'))
