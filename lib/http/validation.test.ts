import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '@/lib/errors';
import { parseFormInput, parseInput, zodErrorToAppError } from './validation';

const schema = z
  .object({
    amount: z.number().int().min(1, 'Enter an amount of at least 1.'),
    shipping: z.object({ name: z.string() }).strict().optional(),
  })
  .strict();

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('zod issue -> AppError', () => {
  it('names the param by its dotted path, with the same code for the API and for forms', () => {
    for (const parse of [parseInput, parseFormInput]) {
      expect(refusal(() => parse(schema, { amount: 0 }))).toMatchObject({ code: 'parameter_invalid', param: 'amount' });
      expect(refusal(() => parse(schema, {}))).toMatchObject({ code: 'parameter_missing', param: 'amount' });
      expect(refusal(() => parse(schema, { amount: 1, colour: 'red' }))).toMatchObject({ code: 'parameter_unknown', param: 'colour' });
      expect(refusal(() => parse(schema, { amount: 1, shipping: { name: 1 } }))).toMatchObject({ code: 'parameter_invalid', param: 'shipping.name' });
      expect(refusal(() => parse(schema, { amount: 1, shipping: { name: 'a', x: 1 } }))).toMatchObject({ param: 'shipping.x' });
    }
  });

  it('words the message for its reader: Stripe style for the API, the schema’s sentence for a form', () => {
    expect(refusal(() => parseInput(schema, { amount: 0 })).message).toBe('Invalid amount: Enter an amount of at least 1.');
    expect(refusal(() => parseFormInput(schema, { amount: 0 })).message).toBe('Enter an amount of at least 1.');
    expect(refusal(() => parseInput(schema, {})).message).toBe('Missing required parameter: amount.');
    expect(refusal(() => parseInput(schema, { amount: 1, colour: 'red' })).message).toBe('Received unknown parameter: colour');
  });

  it('leaves param out when the input as a whole is refused', () => {
    const err = refusal(() => parseFormInput(z.string().min(3, 'Too short.'), 'ab'));
    expect(err).toMatchObject({ code: 'parameter_invalid', message: 'Too short.' });
    expect(err.param).toBeUndefined();
    const whole = z.object({ a: z.string() }).refine(() => false, 'Nothing fits.');
    expect(zodErrorToAppError(whole.safeParse({ a: 'x' }).error!)).toMatchObject({ message: 'Nothing fits.', param: undefined });
  });

  it('refuses text Postgres cannot store in forms too', () => {
    expect(refusal(() => parseFormInput(z.object({ name: z.string() }), { name: 'a\u0000b' }))).toMatchObject({ code: 'parameter_invalid', param: 'name' });
  });
});
