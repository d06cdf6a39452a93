export { handleSandboxMpesaRequest, API_PREFIX } from './http';
export { findPendingPrompt, answerPrompt, type PhonePrompt, type PhoneAnswerResult } from './stk';
export { setMpesaFaults, currentMpesaFaults, type MpesaFaults } from './faults';
export { TEST_PHONES, CORRECT_PIN } from './test-phones';
export { buildStkCallback, type StkCallbackBody } from './callbacks';
export { listSms, type PhoneMessage } from './sms';
export { resetSandboxKeyCache } from './certificate';
