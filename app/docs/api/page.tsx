import type { Metadata } from 'next';
import { ApiReference } from '@/components/docs/api-reference';
import { buildOpenApiDocument } from '@/lib/api-docs/document';
import { referenceFromDocument } from '@/lib/api-docs/reference';
import { STRIPE_API_VERSION } from '@/lib/http/stripe-version';

export const metadata: Metadata = { title: 'API reference' };
export const dynamic = 'force-dynamic';

/** The API reference, rendered from the OpenAPI document served at /v1/openapi.json. */
export default function ApiReferencePage() {
  return (
    <main id="main">
      <header style={{ maxWidth: '80rem', margin: '0 auto', padding: '1.5rem 1.5rem 0' }}>
        <h1>paykit API reference</h1>
      </header>
      <ApiReference groups={referenceFromDocument(buildOpenApiDocument())} version={STRIPE_API_VERSION} />
    </main>
  );
}
