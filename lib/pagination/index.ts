import { and, asc, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { AppError } from '@/lib/errors';

/**
 * Stripe's list parameters, for every list of the public API: spread into the list's query
 * object (beside its filters), then `.strict().superRefine(oneCursor)`.
 */
export const pageParams = {
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().min(1).max(100).optional(),
  ending_before: z.string().min(1).max(100).optional(),
};

/** The list parameters alone, for lists without filters. */
export const pageQuery = z.object(pageParams).strict().superRefine(oneCursor);

/** A page is either after one object or before one, never both (Stripe refuses it too). */
export function oneCursor(query: { starting_after?: string; ending_before?: string }, ctx: z.RefinementCtx): void {
  if (query.starting_after !== undefined && query.ending_before !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['ending_before'], message: 'cannot be combined with starting_after' });
  }
}

export interface PageRequest {
  limit: number;
  starting_after?: string;
  ending_before?: string;
}

export interface Page<Row> {
  rows: Row[];
  /** More objects beyond this page in the direction of travel (older after starting_after, newer after ending_before). */
  hasMore: boolean;
}

/** Where a page starts: after `cursor` (older objects) or before it (newer ones), or at the newest. */
export type PageStart = { cursor: string; toward: 'older' | 'newer' } | { cursor: null; toward: 'older' };

export function pageStart(request: Pick<PageRequest, 'starting_after' | 'ending_before'>): PageStart {
  if (request.ending_before !== undefined) return { cursor: request.ending_before, toward: 'newer' };
  if (request.starting_after !== undefined) return { cursor: request.starting_after, toward: 'older' };
  return { cursor: null, toward: 'older' };
}

/**
 * Cuts the `limit + 1` rows a query read (in the direction of travel) to the page, newest first
 * either way: the extra row only says there is more.
 */
export function finishPage<Row>(rows: Row[], limit: number, toward: PageStart['toward']): Page<Row> {
  const page = rows.slice(0, limit);
  return { rows: toward === 'newer' ? page.reverse() : page, hasMore: rows.length > limit };
}

export interface KeysetList<Row> {
  request: PageRequest;
  table: PgTable;
  id: AnyPgColumn;
  /**
   * The order, newest first: (created_at, id), or a unique sequence. The last key must be unique,
   * so objects sharing a timestamp keep one order across pages.
   */
  keys: [AnyPgColumn, ...AnyPgColumn[]];
  /** Who may use a cursor: the list's own scope (the merchant, live rows). */
  scope: SQL | undefined;
  /** The list's filters (status, type...), beside its scope; a cursor need not match them. */
  filter?: SQL | undefined;
  /** API lists: an unknown cursor is a 404 naming the object. Dashboard pagers start at the newest instead. */
  unknownCursor: { error: string } | 'first_page';
  /**
   * Runs the list's query with the page's condition, order and limit, for a list that joins;
   * by default the rows of `table` within scope and filter.
   */
  query?: (page: { where: SQL | undefined; orderBy: SQL[]; limit: number }) => Promise<Row[]>;
}

/** The usual keyset: newest first by creation, the id breaking ties. */
export function byCreation<T extends PgTable & { id: AnyPgColumn; createdAt: AnyPgColumn }>(table: T) {
  return { table, id: table.id, keys: [table.createdAt, table.id] as [AnyPgColumn, AnyPgColumn] };
}

/**
 * One page of a list in keyset order. The cursor's position is compared in SQL, as a row value
 * read from its own row: a timestamp read into JS would lose Postgres's microseconds and skip the
 * rows of the same millisecond, and comparing the timestamp alone skips rows that share it.
 */
export async function keysetPage<Row>(list: KeysetList<Row>): Promise<Page<Row>> {
  const start = pageStart(list.request);
  let where: SQL | undefined;
  let toward = start.toward;
  if (start.cursor !== null) {
    const [found] = await getDb()
      .select({ id: list.id })
      .from(list.table)
      .where(and(eq(list.id, start.cursor), list.scope));
    if (found) {
      const keys = sql.join(list.keys, sql`, `);
      const position = sql`(select ${keys} from ${list.table} where ${list.id} = ${start.cursor})`;
      where = start.toward === 'older' ? sql`(${keys}) < ${position}` : sql`(${keys}) > ${position}`;
    } else if (list.unknownCursor === 'first_page') {
      toward = 'older';
    } else {
      const param = start.toward === 'older' ? 'starting_after' : 'ending_before';
      throw new AppError('resource_missing', `No such ${list.unknownCursor.error}: '${start.cursor}'`, { param });
    }
  }
  const orderBy = list.keys.map((k) => (toward === 'older' ? desc(k) : asc(k)));
  const limit = list.request.limit + 1;
  const rows = list.query
    ? await list.query({ where, orderBy, limit })
    : ((await getDb()
        .select()
        .from(list.table)
        .where(and(list.scope, list.filter, where))
        .orderBy(...orderBy)
        .limit(limit)) as Row[]);
  return finishPage(rows, list.request.limit, toward);
}

/** Stripe's list object. */
export function listObject<Row, Out>(url: string, page: Page<Row>, serialize: (row: Row) => Out) {
  return { object: 'list' as const, url, has_more: page.hasMore, data: page.rows.map(serialize) };
}

/** Dashboard pagers: the id to pass as `before` for the next page, or null on the last. */
export function nextCursor<Row>(page: Page<Row>, idOf: (row: Row) => string): string | null {
  const last = page.rows.at(-1);
  return page.hasMore && last ? idOf(last) : null;
}

/**
 * Stripe's `created` list filter: a unix timestamp (exactly that second) or a range
 * (`created[gte]=1700000000&created[lt]=1700086400`). Form input arrives as text; parseInput's
 * form coercion turns it into these numbers.
 */
const unixSeconds = z.number().int().min(0).max(253402300799);
export const createdParam = z.union([
  unixSeconds,
  z.object({ gt: unixSeconds.optional(), gte: unixSeconds.optional(), lt: unixSeconds.optional(), lte: unixSeconds.optional() }).strict(),
]);
export type CreatedParam = z.output<typeof createdParam>;

/** The SQL condition of a `created` filter on a timestamp column (undefined without one). */
export function createdCondition(column: AnyPgColumn, created: CreatedParam | undefined): SQL | undefined {
  if (created === undefined) return undefined;
  const at = (s: number) => new Date(s * 1000);
  // whole seconds, as the API shows `created`: "gt 100" is from 101.000, "lte 100" is up to 100.999...
  if (typeof created === 'number') return and(gte(column, at(created)), lt(column, at(created + 1)));
  return and(
    created.gt !== undefined ? gte(column, at(created.gt + 1)) : undefined,
    created.gte !== undefined ? gte(column, at(created.gte)) : undefined,
    created.lt !== undefined ? lt(column, at(created.lt)) : undefined,
    created.lte !== undefined ? lt(column, at(created.lte + 1)) : undefined,
  );
}
