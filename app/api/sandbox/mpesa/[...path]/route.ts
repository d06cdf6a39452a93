import { handleSandboxMpesaRequest } from '@/sandbox/mpesa';

// The offline Daraja answers over HTTP like Safaricom's API; all routing lives in sandbox/mpesa.
export const dynamic = 'force-dynamic';

export const GET = handleSandboxMpesaRequest;
export const POST = handleSandboxMpesaRequest;
