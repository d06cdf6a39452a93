import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '@/lib/errors';
import { coerceFormInput, decodeForm } from './form';
import { parseInput } from './validation';

const form = <S extends z.ZodType>(schema: S, text: string) => parseInput(schema, decodeForm(text), 'api', 'form');

describe('decodeForm: Stripe bracket notation with qs', () => {
  it('keeps every index as a key, so the schema decides what is an array', () => {
    expect(decodeForm('a[]=x&a[]=y&b[0][c]=1&metadata[5]=five&n=1')).toEqual({
      a: { 0: 'x', 1: 'y' },
      b: { 0: { c: '1' } },
      metadata: { 5: 'five' },
      n: '1',
    });
  });

  it('drops prototype keys and refuses nesting and parameter counts past the limits', () => {
    expect(decodeForm('__proto__[polluted]=1&a[__proto__][b]=2')).toEqual({});
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(() => decodeForm(`a${'[b]'.repeat(21)}=1`)).toThrow(AppError);
    expect(() => decodeForm(Array.from({ length: 1001 }, (_, i) => `k${i}=1`).join('&'))).toThrow(/more than 1000 parameters/);
  });
});

describe('coerceFormInput: one schema-aware coercion for form input', () => {
  const schema = z
    .object({
      amount: z.number().int(),
      big: z.bigint().optional(),
      confirm: z.boolean().default(false),
      expand: z.array(z.string()).optional(),
      line_items: z.array(z.object({ quantity: z.number(), price: z.string() })).optional(),
      metadata: z.record(z.string(), z.string()).optional(),
      limit: z.coerce.number().default(10),
      created: z.union([z.number(), z.object({ gte: z.number().optional(), lt: z.number().optional() })]).optional(),
      expires_at: z.number().nullable().optional(),
      version: z.literal(2).optional(),
    })
    .strict();

  it('turns numeric, boolean and indexed text into what the schema expects', () => {
    const parsed = form(
      schema,
      'amount=1400&big=9007199254740993&confirm=true&expand[]=latest_charge&expand[]=customer&line_items[0][quantity]=2&line_items[0][price]=price_1&metadata[0]=zero&created[gte]=1700000000&expires_at=&version=2',
    );
    expect(parsed).toEqual({
      amount: 1400,
      big: 9007199254740993n,
      confirm: true,
      expand: ['latest_charge', 'customer'],
      line_items: [{ quantity: 2, price: 'price_1' }],
      metadata: { 0: 'zero' },
      limit: 10,
      created: { gte: 1700000000 },
      expires_at: null,
      version: 2,
    });
    expect(form(schema, 'amount=5&created=1700000000').created).toBe(1700000000);
  });

  it('leaves what does not fit for the schema to refuse, with the JSON errors', () => {
    const err = (text: string) => {
      try {
        form(schema, text);
      } catch (e) {
        return e as AppError;
      }
      throw new Error('expected a refusal');
    };
    expect(err('amount=1e3')).toMatchObject({ code: 'parameter_invalid', param: 'amount' });
    expect(err('amount=1&confirm=yes')).toMatchObject({ code: 'parameter_invalid', param: 'confirm' });
    expect(err('amount=1&expand[1]=gap')).toMatchObject({ code: 'parameter_invalid', param: 'expand' });
    expect(err('amount=1&line_items[0][quantity]=two&line_items[0][price]=p')).toMatchObject({ param: 'line_items.0.quantity' });
    expect(err('amount=1&colour=red')).toMatchObject({ code: 'parameter_unknown', param: 'colour' });
    expect(err('confirm=true')).toMatchObject({ code: 'parameter_missing', param: 'amount' });
  });

  it('does not touch JSON input', () => {
    expect(() => parseInput(schema, { amount: '5' })).toThrow(AppError);
    expect(coerceFormInput(z.string(), '5')).toBe('5');
  });
});
