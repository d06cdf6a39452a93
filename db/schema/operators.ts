import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Platform operators: the people who run this paykit install (the /admin console). They are not
 * merchant users: no merchant, no dashboard role, their own table, so a merchant session can never
 * be taken for an operator's and the reverse (lib/admin/operators.ts).
 */
export const operators = pgTable(
  'operators',
  {
    id: text().primaryKey(),
    email: text().notNull(),
    passwordHash: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    lastLoginAt: timestamp({ withTimezone: true }),
    /** A disabled operator cannot sign in, and an existing session stops working on its next request. */
    disabledAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    // sign-in looks an operator up by email, case-insensitively
    uniqueIndex('operators_email_lower_key').on(sql`lower(${t.email})`),
  ],
);
export type Operator = typeof operators.$inferSelect;

/**
 * Every operator sign-in (and failed attempt) and every console action. Append-only: a trigger in
 * the migration refuses UPDATE and DELETE. Merchant-scoped actions name the merchant in merchant_id.
 */
export const operatorAuditLog = pgTable(
  'operator_audit_log',
  {
    id: text().primaryKey(),
    operatorId: text(),
    actorEmail: text(),
    action: text().notNull(),
    merchantId: text(),
    targetType: text(),
    targetId: text(),
    ip: text(),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // the console's audit list reads the newest entries first
    index('operator_audit_log_created_idx').on(t.createdAt.desc()),
  ],
);
export type OperatorAuditEntry = typeof operatorAuditLog.$inferSelect;
