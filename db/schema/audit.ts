import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { merchants } from './merchants';

/** Every state-changing dashboard action: who, what, when, from which IP. Append-only. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    userId: text(),
    actorEmail: text(),
    action: text().notNull(),
    targetType: text(),
    targetId: text(),
    ip: text(),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // the audit page lists a merchant's entries newest first
    index('audit_log_merchant_created_idx').on(t.merchantId, t.createdAt.desc()),
  ],
);
export type AuditEntry = typeof auditLog.$inferSelect;
