import type { InngestFunction } from 'inngest';

/**
 * Every Inngest function the app serves (one function per file under inngest/functions/).
 * The serve route and the embedded engine's sync both read this list.
 */
export const functions: InngestFunction.Any[] = [];
