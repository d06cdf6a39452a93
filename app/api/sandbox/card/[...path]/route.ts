import { handleSandboxCardRequest } from '@/sandbox/card';

// The offline card network answers over HTTP like a real PSP; all routing lives in sandbox/card.
export const dynamic = 'force-dynamic';

export const GET = handleSandboxCardRequest;
export const POST = handleSandboxCardRequest;
export const OPTIONS = handleSandboxCardRequest;
