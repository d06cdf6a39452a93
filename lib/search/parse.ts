import { AppError } from '@/lib/errors';

/**
 * The subset of Stripe's search query language merchants use
 * (https://docs.stripe.com/search#search-query-language):
 *
 *   status:'succeeded' AND metadata['order_id']:'42' AND amount>=1000 AND created>1700000000
 *   email:'jane@example.com' OR email:'joe@example.com'
 *   -status:'canceled'
 *
 * A clause is `[-]field<op>value`; `:` is equality (for strings, case-sensitive exact match),
 * `>`, `<`, `>=`, `<=` compare numbers and timestamps (unix seconds). String values are quoted
 * ('...' or "...", a backslash escapes the quote); numbers may be bare. Clauses are joined by AND
 * or by OR, not both in one query (Stripe has no parentheses either). Anything else, including
 * `~` substring matches and `null`, is refused with a message that names what is unsupported, never
 * silently ignored. This module is pure: it turns text into a checked tree, and lib/search/sql.ts
 * turns the tree into parameterised SQL.
 */

export type FieldKind = 'string' | 'integer' | 'timestamp' | 'metadata';
export type Comparator = ':' | '>' | '<' | '>=' | '<=';

export interface SearchClause {
  field: string;
  /** The key of metadata['key'] (metadata fields only). */
  metadataKey?: string;
  op: Comparator;
  /** Strings for string and metadata fields; integers for integer and timestamp fields. */
  value: string | number;
  negated: boolean;
}

export interface SearchQuery {
  join: 'AND' | 'OR';
  clauses: SearchClause[];
}

/** The fields one resource can be searched by, and what kind of value each holds. */
export type SearchFields = Record<string, FieldKind>;

export const MAX_QUERY_LENGTH = 1000;
/** Stripe's own limit. */
export const MAX_CLAUSES = 10;

function invalid(message: string): AppError {
  return new AppError('parameter_invalid', `Invalid search query: ${message}`, { param: 'query' });
}

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(n = 0): string {
    return this.text[this.pos + n] ?? '';
  }

  skipSpaces(): void {
    while (/\s/.test(this.peek())) this.pos++;
  }

  take(pattern: RegExp): string {
    const start = this.pos;
    while (!this.done && pattern.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** A quoted string, quotes removed and escapes applied. */
  quoted(): string {
    const quote = this.peek();
    const start = this.pos;
    this.pos++;
    let out = '';
    while (!this.done) {
      const c = this.peek();
      if (c === '\\' && this.pos + 1 < this.text.length) {
        out += this.peek(1);
        this.pos += 2;
        continue;
      }
      if (c === quote) {
        this.pos++;
        return out;
      }
      out += c;
      this.pos++;
    }
    throw invalid(`the quote at position ${start + 1} is never closed.`);
  }
}

function parseComparator(s: Scanner): Comparator {
  const c = s.peek();
  if (c === ':') {
    s.pos++;
    return ':';
  }
  if (c === '>' || c === '<') {
    s.pos++;
    if (s.peek() === '=') {
      s.pos++;
      return `${c}=`;
    }
    return c;
  }
  if (c === '~') throw invalid(`substring matches (~) are not supported; use field:'value' for an exact match.`);
  throw invalid(c ? `expected :, >, <, >= or <= at position ${s.pos + 1}, found '${c}'.` : 'the query ends where a comparison (:, >, <) was expected.');
}

function parseValue(s: Scanner, field: string, kind: FieldKind): string | number {
  const c = s.peek();
  let text: string;
  let quotedValue = false;
  if (c === "'" || c === '"') {
    text = s.quoted();
    quotedValue = true;
  } else {
    text = s.take(/[^\s]/);
    if (text === '') throw invalid(`the clause for ${field} has no value.`);
    if (text.toLowerCase() === 'null') throw invalid('null values are not supported.');
  }
  if (kind === 'string' || kind === 'metadata') {
    if (!quotedValue) throw invalid(`the value for ${field} must be quoted, as in ${field}:'${text}'.`);
    if (text.length > 500) throw invalid(`the value for ${field} is longer than 500 characters.`);
    return text;
  }
  if (!/^-?\d{1,15}$/.test(text)) {
    throw invalid(`${field} takes ${kind === 'timestamp' ? 'a unix timestamp in seconds' : 'an integer'}, not '${text}'.`);
  }
  return Number(text);
}

function parseClause(s: Scanner, fields: SearchFields): SearchClause {
  let negated = false;
  if (s.peek() === '-') {
    negated = true;
    s.pos++;
  }
  const fieldStart = s.pos;
  const field = s.take(/[a-z_]/);
  if (field === '') throw invalid(`expected a field name at position ${fieldStart + 1}.`);
  const kind = fields[field];
  if (!kind) {
    throw invalid(`'${field}' is not a searchable field here; the fields are ${Object.keys(fields).join(', ')}.`);
  }
  let metadataKey: string | undefined;
  if (kind === 'metadata') {
    if (s.peek() !== '[') throw invalid(`name the metadata key, as in ${field}['order_id']:'42'.`);
    s.pos++;
    const q = s.peek();
    if (q !== "'" && q !== '"') throw invalid(`the metadata key must be quoted, as in ${field}['order_id'].`);
    metadataKey = s.quoted();
    if (s.peek() !== ']') throw invalid(`expected ] after the metadata key '${metadataKey}'.`);
    s.pos++;
    if (metadataKey === '' || metadataKey.length > 40) throw invalid('a metadata key has 1 to 40 characters.');
  }
  const op = parseComparator(s);
  if (op !== ':' && (kind === 'string' || kind === 'metadata')) {
    throw invalid(`${field} can only be matched exactly (${field}:'value'), not compared with ${op}.`);
  }
  const value = parseValue(s, field, kind);
  return { field, ...(metadataKey !== undefined ? { metadataKey } : {}), op, value, negated };
}

/** Parses a search query against the fields a resource allows; throws parameter_invalid (param `query`). */
export function parseSearchQuery(query: string, fields: SearchFields): SearchQuery {
  if (query.length > MAX_QUERY_LENGTH) throw invalid(`a query has at most ${MAX_QUERY_LENGTH} characters.`);
  const s = new Scanner(query);
  const clauses: SearchClause[] = [];
  let join: SearchQuery['join'] | null = null;
  s.skipSpaces();
  if (s.done) throw invalid('the query is empty.');
  for (;;) {
    if (s.peek() === '(' || s.peek() === ')') throw invalid('parentheses are not supported; join clauses with AND or with OR.');
    clauses.push(parseClause(s, fields));
    if (clauses.length > MAX_CLAUSES) throw invalid(`a query has at most ${MAX_CLAUSES} clauses.`);
    const afterClause = s.pos;
    s.skipSpaces();
    if (s.done) break;
    if (s.pos === afterClause) throw invalid(`expected a space after the clause ending at position ${s.pos}.`);
    const word = s.take(/[A-Za-z]/).toUpperCase();
    if (word !== 'AND' && word !== 'OR') {
      throw invalid(`expected AND or OR at position ${afterClause + 2}${word ? `, found '${word}'` : ''}.`);
    }
    if (join && join !== word) throw invalid('AND and OR cannot be mixed in one query.');
    join = word;
    const afterWord = s.pos;
    s.skipSpaces();
    if (s.pos === afterWord || s.done) throw invalid(`${word} must be followed by a space and a clause.`);
  }
  return { join: join ?? 'AND', clauses };
}
