import { and, or, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { AppError } from '@/lib/errors';
import { keysetPage } from '@/lib/pagination';
import { parseSearchQuery, type FieldKind, type SearchClause, type SearchFields } from './parse';

export { parseSearchQuery, MAX_CLAUSES, MAX_QUERY_LENGTH, type SearchQuery, type SearchClause, type SearchFields } from './parse';

/**
 * Stripe's search endpoints (GET /v1/<resource>/search): the query parsed by ./parse.ts becomes a
 * WHERE clause whose values are all bound parameters (field names only ever come from the
 * resource's own column map, never from the query text), then the page runs through the same
 * keyset pager as the lists. The `page` token is opaque to callers: it names the last object of
 * the previous page, so a page is stable while newer objects arrive.
 */

export interface SearchColumn {
  kind: FieldKind;
  /** A column of the searched table, or an expression over its row (a related row's value). */
  column: AnyPgColumn | SQL;
  /**
   * For a string field whose API values are not the stored ones: each API value and the stored
   * values it stands for (a charge's `succeeded` is several attempt states). An API value not
   * listed matches nothing.
   */
  values?: Record<string, readonly string[]>;
  /** Compared case-insensitively (email addresses). */
  caseInsensitive?: boolean;
}

export type SearchColumns = Record<string, SearchColumn>;

export const searchParams = z
  .object({
    query: z.string().min(1, 'is required').max(1000),
    limit: z.coerce.number().int().min(1).max(100).default(10),
    page: z.string().min(1).max(200).optional(),
  })
  .strict();

export type SearchParams = z.output<typeof searchParams>;

export interface SearchResult<Out> {
  object: 'search_result';
  url: string;
  data: Out[];
  has_more: boolean;
  next_page: string | null;
}

function fieldsOf(columns: SearchColumns): SearchFields {
  return Object.fromEntries(Object.entries(columns).map(([name, c]) => [name, c.kind]));
}

const SQL_OPS = { ':': sql`=`, '>': sql`>`, '<': sql`<`, '>=': sql`>=`, '<=': sql`<=` } as const;

function clauseSql(clause: SearchClause, columns: SearchColumns): SQL {
  const target = columns[clause.field]!;
  let condition: SQL;
  if (target.kind === 'metadata') {
    condition = sql`(${target.column} ->> ${clause.metadataKey}::text) = ${clause.value}::text`;
  } else if (target.kind === 'timestamp') {
    const seconds = clause.value as number;
    // Compared at whole seconds, the unit of the query, though timestamps keep microseconds:
    // created>t is from the next second on, created<=t is before the next second.
    const from = (t: number) => sql`to_timestamp(${t}::bigint)`;
    const col = target.column;
    condition = {
      ':': sql`(${col} >= ${from(seconds)} and ${col} < ${from(seconds + 1)})`,
      '>': sql`${col} >= ${from(seconds + 1)}`,
      '>=': sql`${col} >= ${from(seconds)}`,
      '<': sql`${col} < ${from(seconds)}`,
      '<=': sql`${col} < ${from(seconds + 1)}`,
    }[clause.op];
  } else if (target.kind === 'integer') {
    condition = sql`${target.column} ${SQL_OPS[clause.op]} ${clause.value}::bigint`;
  } else if (target.values) {
    const stored = target.values[clause.value as string] ?? [];
    condition = stored.length ? sql`${target.column} in (${sql.join(stored.map((v) => sql`${v}::text`), sql`, `)})` : sql`false`;
  } else if (target.caseInsensitive) {
    condition = sql`lower(${target.column}) = lower(${clause.value}::text)`;
  } else {
    condition = sql`${target.column} = ${clause.value}::text`;
  }
  // a missing value (null column, absent metadata key) matches no clause and every negated one
  return clause.negated ? sql`not coalesce(${condition}, false)` : sql`coalesce(${condition}, false)`;
}

/** The WHERE condition of a query against a resource's searchable columns (throws parameter_invalid on bad syntax). */
export function searchCondition(query: string, columns: SearchColumns): SQL {
  const parsed = parseSearchQuery(query, fieldsOf(columns));
  const parts = parsed.clauses.map((c) => clauseSql(c, columns));
  return (parsed.join === 'AND' ? and(...parts) : or(...parts))!;
}

const encodePage = (lastId: string) => Buffer.from(`page:${lastId}`, 'utf8').toString('base64url');

function decodePage(token: string): string {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const id = text.startsWith('page:') ? text.slice(5) : '';
  if (!/^[a-z]+_[0-9A-Za-z]{8,64}$/.test(id)) {
    throw new AppError('parameter_invalid', 'Invalid page: pass the next_page value of the previous search result as it is.', { param: 'page' });
  }
  return id;
}

export interface SearchSpec<Row extends { id: string }, Out> {
  url: string;
  params: SearchParams;
  table: PgTable;
  id: AnyPgColumn;
  keys: [AnyPgColumn, ...AnyPgColumn[]];
  /** Whose objects: the merchant's. A page token of another scope is refused. */
  scope: SQL | undefined;
  columns: SearchColumns;
  /** Serializes a page at once, so what the objects show beside their row is read in one query per page. */
  serialize: (rows: Row[]) => Promise<Out[]>;
}

/** One page of search results in Stripe's `search_result` shape, newest first. */
export async function searchPage<Row extends { id: string }, Out>(spec: SearchSpec<Row, Out>): Promise<SearchResult<Out>> {
  const filter = searchCondition(spec.params.query, spec.columns);
  const startingAfter = spec.params.page === undefined ? undefined : decodePage(spec.params.page);
  const page = await keysetPage<Row>({
    request: { limit: spec.params.limit, ...(startingAfter ? { starting_after: startingAfter } : {}) },
    table: spec.table,
    id: spec.id,
    keys: spec.keys,
    scope: spec.scope,
    filter,
    unknownCursor: { error: 'page' },
  }).catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'resource_missing') {
      throw new AppError('parameter_invalid', 'Invalid page: this token does not belong to this search.', { param: 'page' });
    }
    throw err;
  });
  const last = page.rows.at(-1);
  return {
    object: 'search_result',
    url: spec.url,
    data: await spec.serialize(page.rows),
    has_more: page.hasMore,
    next_page: page.hasMore && last ? encodePage(last.id) : null,
  };
}
