import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { findPendingPrompt, listSms } from '@/sandbox/mpesa';
import { PhoneScreen } from './phone-screen';

// The offline M-Pesa sandbox's simulated phone: the STK prompt a customer would see on their handset.
export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Simulated phone · M-Pesa sandbox', robots: { index: false } };

const styles = `
.sbxphone { min-height: 100vh; margin: 0; display: flex; justify-content: center; align-items: flex-start; padding: 24px 12px;
  box-sizing: border-box; background: #e9eef2; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #14202b; }
.sbxphone-device { width: 100%; max-width: 360px; background: #14202b; border-radius: 28px; padding: 14px; box-shadow: 0 8px 28px rgba(20,32,43,.25); }
.sbxphone-screen { background: #fff; border-radius: 18px; min-height: 420px; padding: 18px; display: flex; flex-direction: column; gap: 12px; }
.sbxphone-status { display: flex; justify-content: space-between; font-size: .8rem; color: #4a5866; }
.sbxphone h1 { font-size: 1.1rem; margin: 0; }
.sbxphone p { margin: 0; line-height: 1.5; }
.sbxphone-prompt { border: 1px solid #c9d3dc; border-radius: 12px; padding: 14px; background: #f7fafc; }
.sbxphone-prompt-title { font-weight: 700; color: #0a6b2f; margin-bottom: 6px; }
.sbxphone label { display: block; font-weight: 600; margin: 12px 0 6px; }
.sbxphone input { width: 100%; box-sizing: border-box; font: inherit; font-size: 1.2rem; letter-spacing: .3em; padding: 10px 12px;
  border: 1px solid #7d8a96; border-radius: 8px; }
.sbxphone-actions { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; margin-top: 12px; }
.sbxphone button { font: inherit; font-size: 1rem; min-height: 44px; border-radius: 8px; cursor: pointer; }
.sbxphone button:disabled { opacity: .6; cursor: progress; }
.sbxphone button:focus-visible, .sbxphone input:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.sbxphone-send { background: #0a6b2f; color: #fff; border: 1px solid #0a6b2f; }
.sbxphone-cancel { background: #fff; color: #14202b; border: 1px solid #7d8a96; }
.sbxphone-result { border-radius: 10px; padding: 12px; background: #eef7f1; border: 1px solid #9fd1b2; }
.sbxphone-result.is-failed { background: #fff1f3; border-color: #f4b3c2; color: #8a0c2b; }
.sbxphone-note { font-size: .8rem; color: #4a5866; margin-top: auto; }
.sbxphone code { font-family: ui-monospace, monospace; }
.sbxphone h2 { font-size: 1rem; margin: 8px 0 4px; }
.sbxphone-messages { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 8px; }
.sbxphone-messages li { border: 1px solid #c9d3dc; border-radius: 10px; padding: 10px; background: #f7fafc; font-size: .9rem; }
.sbxphone-messages time { display: block; font-size: .75rem; color: #4a5866; margin-top: 4px; }
.sbxphone-prompt input + label { margin-top: 10px; }
`;

export default async function SimulatedPhonePage({ params }: { params: Promise<{ msisdn: string }> }) {
  const { msisdn } = await params;
  if (!/^254[17]\d{8}$/.test(msisdn)) notFound();
  const [prompt, messages] = await Promise.all([findPendingPrompt(msisdn), listSms(msisdn)]);
  return (
    <div className="sbxphone">
      <style>{styles}</style>
      <main id="main" className="sbxphone-device" aria-labelledby="sbxphone-title">
        <div className="sbxphone-screen">
          <div className="sbxphone-status" aria-hidden="true">
            <span>Safaricom (sandbox)</span>
            <span>+{msisdn}</span>
          </div>
          <h1 id="sbxphone-title">Phone +{msisdn}</h1>
          <PhoneScreen msisdn={msisdn} prompt={prompt} messages={messages} />
          <p className="sbxphone-note">
            Simulated handset of the offline M-Pesa sandbox. PIN <code>1234</code> pays; any other PIN fails (2001); Cancel is
            1032; no answer within the timeout is 1037. Pay Bill sends a C2B payment to a business number (validated by the
            business when it registered a validation URL).
          </p>
        </div>
      </main>
    </div>
  );
}
