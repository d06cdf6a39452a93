/**
 * The subset of Inngest's CEL expressions the engine evaluates: comparisons joined by `&&`,
 * where each side is a path into `event` / `async` or a literal. This covers what the SDK
 * generates itself (`waitForEvent({ match })`, onFailure's `event.data.function_id == '...'`)
 * and simple hand-written filters. Anything else fails to parse, and the caller rejects it loudly.
 */
type Operand = { kind: 'path'; root: string; path: string[] } | { kind: 'literal'; value: unknown };
interface Comparison {
  left: Operand;
  op: '==' | '!=';
  right: Operand;
}

const PATH = /^([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)+)$/;

function parseOperand(raw: string, roots: readonly string[]): Operand {
  const text = raw.trim();
  if (/^'[^'\\]*'$/.test(text) || /^"[^"\\]*"$/.test(text)) return { kind: 'literal', value: text.slice(1, -1) };
  if (/^-?\d+(\.\d+)?$/.test(text)) return { kind: 'literal', value: Number(text) };
  if (text === 'true' || text === 'false') return { kind: 'literal', value: text === 'true' };
  if (text === 'null') return { kind: 'literal', value: null };
  const path = PATH.exec(text);
  if (path && roots.includes(path[1]!)) return { kind: 'path', root: path[1]!, path: path[2]!.slice(1).split('.') };
  throw new Error(`unsupported operand "${text}"`);
}

export interface ParsedExpression {
  source: string;
  comparisons: Comparison[];
}

/** Parses or throws an Error that names the unsupported part. */
export function parseExpression(source: string, roots: readonly string[]): ParsedExpression {
  const comparisons = source.split('&&').map((clause) => {
    const match = /^(.+?)\s*(==|!=)\s*(.+)$/.exec(clause.trim());
    if (!match) throw new Error(`unsupported expression "${source}" (only "a == b" comparisons joined by && are supported)`);
    return {
      left: parseOperand(match[1]!, roots),
      op: match[2] as '==' | '!=',
      right: parseOperand(match[3]!, roots),
    };
  });
  return { source, comparisons };
}

export function readPath(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function resolve(operand: Operand, scope: Record<string, unknown>): unknown {
  return operand.kind === 'literal' ? operand.value : readPath(scope[operand.root], operand.path);
}

/** True when every comparison holds; a missing path never equals anything (as in CEL). */
export function evaluateExpression(expression: ParsedExpression, scope: Record<string, unknown>): boolean {
  return expression.comparisons.every(({ left, op, right }) => {
    const a = resolve(left, scope);
    const b = resolve(right, scope);
    if (a === undefined || b === undefined) return false;
    const equal = JSON.stringify(a) === JSON.stringify(b);
    return op === '==' ? equal : !equal;
  });
}

/**
 * Evaluates a key expression such as `event.data.paymentId` (idempotency, concurrency keys).
 * Only plain paths are supported.
 */
export function parseKeyPath(source: string): string[] {
  const path = PATH.exec(source.trim());
  if (!path || path[1] !== 'event') throw new Error(`unsupported key expression "${source}" (only event.<path> is supported)`);
  return path[2]!.slice(1).split('.');
}

export function keyValue(event: unknown, path: readonly string[]): string | null {
  const value = readPath(event, path);
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
