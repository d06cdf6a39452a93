import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Bad command-line input: the caller prints the message with usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs in strict mode, with its errors turned into UsageError. */
export function parseStrict<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export interface StartArgs {
  dev: boolean;
  help: boolean;
}

export function parseStartArgs(argv: string[]): StartArgs {
  const { values, positionals } = parseStrict(argv, {
    dev: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (positionals.length > 0) throw new UsageError(`Unexpected argument: ${positionals[0]}`);
  return { dev: values.dev === true, help: values.help === true };
}
