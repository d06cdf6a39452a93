/** An expected failure (port busy, build failed, ...): its message says it all, no stack trace needed. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
