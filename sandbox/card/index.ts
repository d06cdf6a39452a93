export { handleSandboxCardRequest, API_PREFIX } from './http';
export { getPayment, type ChallengeResult } from './acquirer';
export { challengeUrl } from './serialize';
export { TEST_PAYMENT_METHODS } from './test-cards';
export { SandboxError } from './errors';
export type { PaymentWithCard } from './payment-store';
export { findChallenge, returnUrlAfterChallenge, type ChallengeView } from './challenge';
export { setSandboxCallbackFaults, type CallbackFaults } from './callbacks';
export { setSettlementFaults, type SettlementFault } from './settlements';
