import { Option, type Command } from 'commander'
import { AUDIT_EVENT_TYPES, type AuditEntry } from '../../domain/ports.js'
import { printPage, wholeNumber, withLatch } from '../context.js'

export function registerAuditCommands(program: Command): void {
  program
    .command('audit')
    .description('read the audit trail, newest first')
    .option('--email <email>', 'only events about this account')
    .addOption(new Option('--type <type>', 'only events of this type').choices(AUDIT_EVENT_TYPES))
    .option('--limit <n>', 'page size, 1 to 100', wholeNumber)
    .option('--cursor <cursor>', 'continue after the previous page')
    .option('--json', 'print JSON', false)
    .action(async (options: { email?: string; type?: string; limit?: number; cursor?: string; json: boolean }) =>
      withLatch(async ({ core }) => {
        const userId = options.email === undefined ? undefined : (await core.findUserByEmail(options.email)).id
        const page = await core.listAuditEvents({ userId, type: options.type, limit: options.limit, cursor: options.cursor })
        const rows = page.items.map((entry) => (options.json ? jsonRow(entry) : tableRow(entry)))
        printPage(rows, page.nextCursor, options)
      }),
    )
}

function jsonRow(entry: AuditEntry) {
  return {
    id: entry.id,
    type: entry.type,
    actor_id: entry.actorId,
    user_id: entry.userId,
    ip: entry.ip,
    user_agent: entry.userAgent,
    detail: entry.detail,
    created_at: entry.createdAt,
  }
}

/** One line per event: the detail object shown as compact JSON. */
function tableRow(entry: AuditEntry) {
  const detail = Object.keys(entry.detail).length ? JSON.stringify(entry.detail) : null
  return { id: entry.id, created_at: entry.createdAt, type: entry.type, actor: entry.actorId, user: entry.userId, ip: entry.ip, detail }
}
