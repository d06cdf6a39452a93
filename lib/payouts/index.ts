export * from './payouts';
export * from './schedule';
export * from './report';
export * from './api';
