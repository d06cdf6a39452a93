import { handleSandboxCardRequest } from '@/lib/sandbox/card';

// The offline card network answers over HTTP like a real PSP; all routing lives in lib/sandbox/card.
export const dynamic = 'force-dynamic';

export const GET = handleSandboxCardRequest;
export const POST = handleSandboxCardRequest;
export const OPTIONS = handleSandboxCardRequest;
