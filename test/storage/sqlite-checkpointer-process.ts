/**
 * For sqlite-checkpointer.test.ts: a process that opens a database as the server does (with the
 * checkpoint worker), writes, prints `ready` once the worker runs, then closes the database
 * (argument `close`) or not (`no-close`) and simply returns. It must exit by itself either way.
 */
import { connect } from '../../src/storage/connect.js'
import { sql } from '../../src/storage/direct-sql.js'

const [url, mode] = process.argv.slice(2)
const db = connect(url!, { checkpointInWorker: { logger: { warn: (_fields: object, message: string) => console.error(message), debug: () => {} } } })
await db.direct.write([sql`CREATE TABLE filler (value TEXT NOT NULL)`])
for (let index = 0; index < 100; index++) await db.direct.write([sql`INSERT INTO filler (value) VALUES (${String(index)})`])
await db.checkpointer!.ready
console.log('ready')
if (mode === 'close') await db.close()
