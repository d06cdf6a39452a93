import { expect, test } from './fixtures';

// The API reference is our own page rendered from the OpenAPI document, on the production build.
test.describe('API reference', () => {
  test('/docs/api lists every operation of /v1/openapi.json with its parameters, and links the document', async ({ page, request }) => {
    const res = await request.get('/v1/openapi.json');
    expect(res.status()).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { summary: string }>> };
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.values(doc.paths).flatMap((item) => Object.values(item));

    await page.goto('/docs/api');
    await expect(page.getByRole('heading', { level: 1, name: 'paykit API reference' })).toBeVisible();
    await expect(page.getByTestId('api-operation')).toHaveCount(operations.length);

    const refund = page.getByTestId('api-operation').filter({ has: page.getByRole('heading', { name: 'Create a refund', exact: true }) });
    await expect(refund.getByText('/v1/refunds', { exact: true })).toBeVisible();
    await expect(refund.getByRole('cell', { name: 'charge', exact: true })).toBeVisible();
    await expect(refund.getByText(/balance_insufficient/)).toBeVisible();

    // the table of contents jumps to an operation
    await page.getByRole('navigation', { name: 'API operations' }).getByRole('link', { name: 'Search PaymentIntents' }).click();
    await expect(page).toHaveURL(/#getV1PaymentIntentsSearch$/);
    await page.getByRole('link', { name: '/v1/openapi.json' }).click();
    await expect(page).toHaveURL(/\/v1\/openapi\.json$/);
  });
});
