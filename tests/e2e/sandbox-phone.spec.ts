import { constants, publicEncrypt, randomUUID, X509Certificate } from 'node:crypto';
import type { APIRequestContext } from '@playwright/test';
import { darajaAccessToken } from './daraja-access';
import { DemoApi } from './demo-api';
import { expect, test } from './fixtures';
import { expectAccessibleAndNarrow } from './pages/mpesa-pages';
import { PhonePayBill } from './pages/sandbox-phone-pages';

/**
 * The offline Daraja's simulated phone beyond STK: the customer pays a bill from the phone's menu,
 * then receives the business's B2C payment and a reversal, each as an M-PESA message on the phone.
 */

const SHORTCODE = '174379';

function uniqueMsisdn(): string {
  return `2547${String(Date.now() % 100_000_000)
    .padStart(8, '0')
    .slice(-6)}${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`;
}

/** A Daraja client for the organisation APIs, as a merchant integrates from Safaricom's documentation. */
async function daraja(request: APIRequestContext) {
  const token = await darajaAccessToken(request);
  const headers = { authorization: `Bearer ${token}` };
  const portal = (await (await request.get(`/api/sandbox/mpesa/portal/shortcodes/${SHORTCODE}`, { headers })).json()) as {
    initiatorName: string;
    initiatorPassword: string;
  };
  const pem = await (await request.get('/api/sandbox/mpesa/certificates/sandbox.cer')).text();
  const credential = publicEncrypt(
    { key: new X509Certificate(pem).publicKey, padding: constants.RSA_PKCS1_PADDING },
    Buffer.from(portal.initiatorPassword),
  ).toString('base64');
  // nobody listens for the Results here: the phone is what this test watches
  const nowhere = `${test.info().project.use.baseURL}/api/sandbox/mpesa/nowhere`;
  const post = async (path: string, data: Record<string, unknown>) => {
    const res = await request.post(`/api/sandbox/mpesa/${path}`, {
      headers,
      data: { ResultURL: nowhere, QueueTimeOutURL: nowhere, SecurityCredential: credential, ...data },
    });
    expect(res.status(), await res.text()).toBe(200);
    return res.json();
  };
  return {
    payout: (msisdn: string, amount: number) =>
      post('mpesa/b2c/v3/paymentrequest', {
        OriginatorConversationID: randomUUID(),
        InitiatorName: portal.initiatorName,
        CommandID: 'BusinessPayment',
        Amount: amount,
        PartyA: SHORTCODE,
        PartyB: msisdn,
        Remarks: 'Refund',
      }),
    reverse: (receipt: string, amount: number) =>
      post('mpesa/reversal/v1/request', {
        Initiator: portal.initiatorName,
        CommandID: 'TransactionReversal',
        TransactionID: receipt,
        Amount: amount,
        ReceiverParty: SHORTCODE,
        RecieverIdentifierType: '11',
        Remarks: 'Refund',
      }),
  };
}

test.describe('the simulated phone', () => {
  test('pays a bill, then shows the payout and the reversal SMS it receives', async ({ page, request, baseURL }) => {
    test.setTimeout(120_000);
    // paykit validates every bill paid to its shortcode (C2B validation URL, registered at start):
    // the account must be a checkout session's, so each bill pays a KES pay page's account
    const accountFor = async (amountMinor: number) => {
      const session = await new DemoApi(request).session(baseURL!, { amount: amountMinor, currency: 'kes' });
      const payPage = await page.context().newPage();
      await payPage.goto(`/pay/${session.id}`);
      await payPage.getByTestId('pay-method-paybill').click();
      const account = (await payPage.getByTestId('paybill-account-number').textContent())!.trim();
      await payPage.close();
      return account;
    };
    const msisdn = uniqueMsisdn();
    const phone = new PhonePayBill(page);
    await phone.goto(msisdn);
    // a first bill funds the business account for the payout below (the reversal then needs the
    // whole 750 still there: a shortcode cannot pay out or reverse more than it holds)
    await phone.pay(SHORTCODE, await accountFor(20_000), '200', '1234');
    await expect(phone.result).toContainText('Confirmed');
    const account = await accountFor(75_000);
    await phone.goto(msisdn); // back to the home screen (the messages stay on the phone)
    await phone.pay(SHORTCODE, account, '750', '1234');
    await expect(phone.result).toContainText('KES 750.00');
    await expect(phone.result).toContainText('Confirmed');
    const receipt = (await phone.result.textContent())!.trim().split(' ')[0]!;
    await expect(phone.messages.first()).toContainText(`${receipt} Confirmed. Ksh750.00 sent to`);
    await expect(phone.messages.first()).toContainText(`for account ${account}`);

    const api = await daraja(request);
    await api.payout(msisdn, 120);
    await expect(phone.messages.first()).toContainText('You have received Ksh120.00', { timeout: 10_000 });
    await api.reverse(receipt, 750);
    await expect(phone.messages.first()).toContainText(`Transaction ${receipt} has been reversed. Ksh750.00 is credited`, {
      timeout: 10_000,
    });
    await expect(phone.messages).toHaveCount(4);
  });

  test('a wrong PIN pays nothing, and the Pay Bill screen is accessible at 375 px', async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 800 });
    const phone = new PhonePayBill(page);
    await phone.goto(uniqueMsisdn());
    await phone.pay(SHORTCODE, 'INV-1', '10', '9999');
    await expect(phone.result).toContainText('Wrong PIN');
    await expect(phone.messages).toHaveCount(0);
    await expectAccessibleAndNarrow(page, 'phone pay bill');
  });
});
