import { describe, expect, it } from 'vitest';
import { InngestTestEngine } from '@inngest/test';
import { Inngest } from 'inngest';

// The @inngest/test pattern: run one function in memory, no engine, no HTTP, steps mockable.
const client = new Inngest({ id: 'paykit-unit', isDev: true });
const sumLineItems = client.createFunction(
  { id: 'sum-line-items', triggers: [{ event: 'order.placed' }] },
  async ({ event, step }) => {
    const total = await step.run('sum', () => (event.data.items as number[]).reduce((a, b) => a + b, 0));
    return { totalMinor: total };
  },
);

describe('InngestTestEngine', () => {
  it('runs a function to completion with its steps', async () => {
    const t = new InngestTestEngine({ function: sumLineItems, events: [{ name: 'order.placed', data: { items: [250, 1000] } }] });
    const { result } = await t.execute();
    expect(result).toEqual({ totalMinor: 1250 });
  });

  it('mocks a step', async () => {
    const t = new InngestTestEngine({
      function: sumLineItems,
      events: [{ name: 'order.placed', data: { items: [] } }],
      steps: [{ id: 'sum', handler: () => 42 }],
    });
    const { result } = await t.execute();
    expect(result).toEqual({ totalMinor: 42 });
  });
});
