import { AppError } from '@/lib/errors';
import { EXPANDERS, type Expander } from './expanders';

export { expandParam } from './expand-param';
export type { Expander } from './expanders';

/**
 * Stripe's `expand[]`: replaces an id field of the answer (`latest_charge`, `payment_method`,
 * `customer`, `payment_intent`, `balance_transaction`) by the object it names, one level deep,
 * on an object or on each object of a list (`data.latest_charge`). What can be expanded is the
 * table in ./expanders.ts, per object type and field; anything else is refused with a 400 naming
 * the path, never silently ignored. A field that is null stays null.
 */
export async function expandResponse<T>(merchantId: string, body: T, paths: readonly string[] | undefined): Promise<T> {
  if (!paths || paths.length === 0) return body;
  const unique = [...new Set(paths)];
  const root = body as Record<string, unknown>;
  const isList = root.object === 'list' && Array.isArray(root.data);
  const plan = unique.map((path, index) => {
    const onList = isList && path.startsWith('data.');
    const field = onList ? path.slice('data.'.length) : path;
    if (isList && !onList) throw cannotExpand(path, index, 'on a list, expand the objects in it: data.<field>');
    if (field.includes('.')) throw cannotExpand(path, index, 'expansions go one level deep');
    return { path, index, field };
  });
  const targets = isList ? (root.data as Record<string, unknown>[]) : [root];
  for (const { path, index, field } of plan) {
    for (const target of targets) {
      const expander = expanderFor(target, field);
      if (!expander) throw cannotExpand(path, index);
      const id = target[field];
      if (typeof id === 'string') target[field] = await expander(merchantId, id);
    }
    // an empty list expands nothing, but the path must still be one its objects could take
    if (targets.length === 0 && isList && !listCanExpand(field)) throw cannotExpand(path, index);
  }
  return body;
}

function expanderFor(target: Record<string, unknown>, field: string): Expander | undefined {
  const type = typeof target.object === 'string' ? target.object : '';
  const table = Object.hasOwn(EXPANDERS, type) ? EXPANDERS[type] : undefined;
  return table && Object.hasOwn(table, field) ? table[field] : undefined;
}

function listCanExpand(field: string): boolean {
  return Object.values(EXPANDERS).some((table) => Object.hasOwn(table, field));
}

function cannotExpand(path: string, index: number, why?: string): AppError {
  return new AppError('parameter_invalid', `This property cannot be expanded (${path})${why ? `: ${why}` : ''}.`, { param: `expand[${index}]` });
}
