import { afterEach, describe, expect, it } from 'vitest';
import { checkAccessToken, issueAccessToken } from './auth';

afterEach(() => {
  delete process.env.MPESA_SANDBOX_TOKEN_TTL_S;
});

const bearer = (token: string) => `Bearer ${token}`;

describe("the offline Daraja's access tokens", () => {
  it('live expires_in seconds from issue, wherever in its second the token was issued', () => {
    process.env.MPESA_SANDBOX_TOKEN_TTL_S = '1';
    // issued 1 ms before a second turns: it must still be good 0.9 s later (it used to expire
    // when the second turned, so a client that fetched a token and used it at once could be
    // refused: a flake of lib/psp/daraja/client.test.ts's token replacement test in CI)
    const issuedAt = 1_700_000_000_999;
    const { access_token, expires_in } = issueAccessToken(issuedAt);
    expect(expires_in).toBe('1');
    expect(checkAccessToken(bearer(access_token), issuedAt + 900)).toBe(true);
    expect(checkAccessToken(bearer(access_token), issuedAt + 999)).toBe(true);
    // and no longer
    expect(checkAccessToken(bearer(access_token), issuedAt + 1_000)).toBe(false);
  });

  it('refuses a token whose MAC does not match', () => {
    const { access_token } = issueAccessToken(1_700_000_000_000);
    const forged = `${access_token.slice(0, -1)}${access_token.endsWith('A') ? 'B' : 'A'}`;
    expect(checkAccessToken(bearer(forged), 1_700_000_000_000)).toBe(false);
  });
});
