export * from './merchants';
export * from './payments';
export * from './events';
export * from './idempotency';
export * from './risk';
export * from './store';
export * from './sandbox';
