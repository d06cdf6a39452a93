import { constants, publicEncrypt, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  b2cRequest,
  type Daraja,
  initiatorFields,
  type MerchantServer,
  resultFor,
  setUpDarajaSandbox,
} from '../helpers/daraja-sandbox';

/**
 * SecurityCredential as in production: the sandbox serves an X.509 certificate, the merchant
 * encrypts the initiator password with its key (RSA PKCS#1 v1.5, base64), and a wrong initiator
 * or password is refused with Daraja's Result 2001. The initiator is generated per install.
 */

let daraja: Daraja;
let merchant: MerchantServer;
setUpDarajaSandbox({ env: { MPESA_SANDBOX_RESULT_DELAY_MS: '10' } }, (s) => ({ daraja, merchant } = s));

describe('the sandbox certificate', () => {
  it('is a self-signed X.509 v3 certificate over a 2048-bit RSA key, the same on every download', async () => {
    const pem = await daraja.certificatePem();
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    const cert = new X509Certificate(pem);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.publicKey.asymmetricKeyType).toBe('rsa');
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now() + 5 * 365 * 86_400_000);
    expect(await daraja.certificatePem()).toBe(pem);
  });
});

describe('the org portal', () => {
  it('shows the shortcode initiator, generated for this install, only with an access token', async () => {
    expect((await daraja.get(`portal/shortcodes/${daraja.shortcode}`, null)).status).toBe(401);
    const portal = await daraja.portal();
    expect(portal.initiatorName).toMatch(/^paykit_api_[0-9a-f]{6}$/);
    expect(portal.initiatorPassword.length).toBeGreaterThanOrEqual(16);
    expect(await daraja.portal()).toMatchObject({
      initiatorName: portal.initiatorName,
      initiatorPassword: portal.initiatorPassword,
    });
  });

  it('knows only the configured shortcode', async () => {
    const res = await daraja.get('portal/shortcodes/999999');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errorCode: '400.002.02', errorMessage: 'Bad Request - Invalid ShortCode' });
  });
});

describe('SecurityCredential', () => {
  async function balanceResult(fields: { initiator: string; SecurityCredential: string }) {
    const before = merchant.on('/result').length;
    const ack = await daraja.post('mpesa/accountbalance/v1/query', {
      Initiator: fields.initiator,
      SecurityCredential: fields.SecurityCredential,
      CommandID: 'AccountBalance',
      PartyA: daraja.shortcode,
      IdentifierType: '4',
      Remarks: 'balance',
      QueueTimeOutURL: `${merchant.url}/timeout`,
      ResultURL: `${merchant.url}/result`,
    });
    expect(ack.status, JSON.stringify(ack.body)).toBe(200);
    expect(ack.body).toMatchObject({ ResponseCode: '0', ResponseDescription: 'Accept the service request successfully.' });
    const results = await merchant.waitFor('/result', before + 1);
    const result = results.find((r) => r.body.Result.ConversationID === ack.body.ConversationID)!;
    expect(result.body.Result.OriginatorConversationID).toBe(ack.body.OriginatorConversationID);
    return result.body.Result;
  }

  it('accepts the initiator password encrypted with the served certificate', async () => {
    const fields = await initiatorFields(daraja, merchant);
    expect((await balanceResult(fields)).ResultCode).toBe(0);
  });

  it('refuses a wrong password, a wrong initiator name, a credential made with another key and garbage with 2001', async () => {
    const fields = await initiatorFields(daraja, merchant);
    const otherKey = (await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const password = (await daraja.portal()).initiatorPassword;
    const wrong = [
      { ...fields, SecurityCredential: await daraja.credential('Safaricom999!*!') },
      { ...fields, initiator: 'testapi' },
      {
        ...fields,
        SecurityCredential: publicEncrypt(
          { key: otherKey, padding: constants.RSA_PKCS1_PADDING },
          Buffer.from(password),
        ).toString('base64'),
      },
      { ...fields, SecurityCredential: Buffer.from(password).toString('base64') },
      { ...fields, SecurityCredential: 'not base64 at all!' },
    ];
    for (const attempt of wrong) {
      const result = await balanceResult(attempt);
      expect(result).toMatchObject({ ResultType: 0, ResultCode: 2001, ResultDesc: 'The initiator information is invalid.' });
      expect(result.ResultParameters).toBeUndefined();
      expect(result.TransactionID).toMatch(/^[A-Z]{2}S0000000$/);
    }
  });

  it('moves no money on a B2C with a wrong credential', async () => {
    const fields = await initiatorFields(daraja, merchant);
    const ack = await daraja.post(
      'mpesa/b2c/v3/paymentrequest',
      b2cRequest({ ...fields, SecurityCredential: await daraja.credential('guess') }, daraja.shortcode),
    );
    expect(ack.status).toBe(200);
    expect((await resultFor(merchant, ack.body.ConversationID)).ResultCode).toBe(2001);
    expect((await daraja.portal()).balances.utility).toBe('0.00');
  });
});

describe('OAuth on the organisation APIs', () => {
  it('refuses a call without a valid access token with 404.001.03', async () => {
    for (const path of [
      'mpesa/b2c/v3/paymentrequest',
      'mpesa/reversal/v1/request',
      'mpesa/transactionstatus/v1/query',
      'mpesa/accountbalance/v1/query',
      'mpesa/c2b/v1/registerurl',
      'mpesa/c2b/v2/registerurl',
      'mpesa/c2b/v1/simulate',
      'pulltransactions/v1/register',
      'pulltransactions/v1/query',
    ]) {
      const res = await daraja.post(path, {}, 'forged-token-forged-token-forged-token');
      expect(res.status, path).toBe(401);
      expect(res.body).toMatchObject({ errorCode: '404.001.03', errorMessage: 'Invalid Access Token' });
      expect(res.body.requestId).toEqual(expect.any(String));
    }
  });
});
