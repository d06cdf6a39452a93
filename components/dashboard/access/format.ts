const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

/** Server-rendered timestamps, in UTC so the server and the reader agree. */
export function formatWhen(date: Date | null | undefined, empty = '—'): string {
  return date ? `${dateTime.format(date)} UTC` : empty;
}
