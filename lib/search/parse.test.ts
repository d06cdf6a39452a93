import { describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { parseSearchQuery, type SearchFields } from './parse';

const fields: SearchFields = { status: 'string', email: 'string', amount: 'integer', created: 'timestamp', metadata: 'metadata' };

function rejection(query: string): AppError {
  try {
    parseSearchQuery(query, fields);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error(`expected ${query} to be refused`);
}

describe('parseSearchQuery', () => {
  it('reads one exact-match clause', () => {
    expect(parseSearchQuery("status:'succeeded'", fields)).toEqual({
      join: 'AND',
      clauses: [{ field: 'status', op: ':', value: 'succeeded', negated: false }],
    });
  });

  it('reads metadata keys, numbers, timestamps and every comparator joined by AND', () => {
    const q = parseSearchQuery(`metadata["order id"]:'42' AND amount>=1000 AND amount<5000 AND created>1700000000 AND amount<=9 AND amount>1`, fields);
    expect(q.join).toBe('AND');
    expect(q.clauses).toEqual([
      { field: 'metadata', metadataKey: 'order id', op: ':', value: '42', negated: false },
      { field: 'amount', op: '>=', value: 1000, negated: false },
      { field: 'amount', op: '<', value: 5000, negated: false },
      { field: 'created', op: '>', value: 1_700_000_000, negated: false },
      { field: 'amount', op: '<=', value: 9, negated: false },
      { field: 'amount', op: '>', value: 1, negated: false },
    ]);
  });

  it('reads OR, negation, double quotes, escaped quotes and quoted numbers', () => {
    const q = parseSearchQuery(`email:"o'brien@example.com" or -status:'can\\'t' OR amount:'700'`, fields);
    expect(q.join).toBe('OR');
    expect(q.clauses).toEqual([
      { field: 'email', op: ':', value: "o'brien@example.com", negated: false },
      { field: 'status', op: ':', value: "can't", negated: true },
      { field: 'amount', op: ':', value: 700, negated: false },
    ]);
  });

  it('keeps characters that mean something in SQL as plain text values', () => {
    const q = parseSearchQuery(`metadata['k; drop table x']:'1\\' or 1=1 --'`, fields);
    expect(q.clauses[0]).toMatchObject({ metadataKey: 'k; drop table x', value: "1' or 1=1 --" });
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ["status:'a' AND email:'b' OR amount>1", /cannot be mixed/],
    ["(status:'a')", /parentheses/],
    ["colour:'red'", /'colour' is not a searchable field here; the fields are status, email/],
    ["status~'succ'", /substring/],
    ['status:succeeded', /must be quoted, as in status:'succeeded'/],
    ["status>'a'", /can only be matched exactly/],
    ['amount>ten', /amount takes an integer/],
    ['created>2024-01-01', /unix timestamp/],
    ["status:'open", /never closed/],
    ["metadata:'x'", /name the metadata key/],
    ['metadata[order]:1', /must be quoted/],
    ["status:'a' AND", /must be followed by a space and a clause/],
    ["status:'a' NOT email:'b'", /expected AND or OR/],
    ["status:'a'email:'b'", /expected a space/],
    ['amount', /ends where a comparison/],
    ['amount:null', /null values are not supported/],
    ["status:'a'" + " AND status:'a'".repeat(10), /at most 10 clauses/],
    ["status:'" + 'x'.repeat(1000) + "'", /at most 1000 characters/],
  ])('refuses %j with a clear invalid_request_error on query', (query, message) => {
    const err = rejection(query);
    expect(err.code).toBe('parameter_invalid');
    expect(err.type).toBe('invalid_request_error');
    expect(err.param).toBe('query');
    expect(err.message).toMatch(message);
  });
});
