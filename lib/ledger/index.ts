export * from './accounts';
export * from './fees';
export * from './posting-rules';
export { post, findPosting, writePostings, BALANCE_SHARDS, type PostResult } from './post';
export * from './batching-poster';
export * from './capture';
export * from './refunds';
export * from './settlement';
export * from './reversal';
