import { cardMethodAdapter } from './card-method';
import { darajaC2bUrls, darajaCallbackUrl, darajaResultUrls, getDaraja, MPESA_PSP } from './daraja';
import { darajaMethodAdapter, MPESA_CAPABILITIES } from './daraja/adapter';
import { getPspByName, pspDisabledReason } from './index';
import { sandboxCallbackHint } from './sandbox-callbacks';
import { SANDBOX_CARD_CAPABILITIES } from './sandbox-card';
import { stripeCallbackHint } from './stripe/callback';
import { STRIPE_CAPABILITIES } from './stripe/constants';
import { NO_CAPABILITIES, PspError, type PaymentMethodAdapter, type PaymentMethodCapabilities, type PaymentMethodType } from './types';

/**
 * Every payment method paykit can take, one line each, in the default routing order per method.
 * Adding a method: write its adapter in lib/psp/<name>/ (PaymentMethodAdapter), add its line here,
 * and give it a sandbox to talk to offline.
 */
interface RegistryEntry {
  method: PaymentMethodType;
  capabilities: PaymentMethodCapabilities;
  create: (capabilities: PaymentMethodCapabilities) => PaymentMethodAdapter;
}

const CARD_EXTRAS = { manualCapture: true, cancel: true } as const;

const REGISTRY = {
  sandbox_card: { method: 'card', capabilities: { ...SANDBOX_CARD_CAPABILITIES, ...CARD_EXTRAS }, create: (c) => cardMethodAdapter(getPspByName('sandbox_card'), c, sandboxCallbackHint) },
  stripe: { method: 'card', capabilities: { ...STRIPE_CAPABILITIES, ...CARD_EXTRAS }, create: (c) => cardMethodAdapter(getPspByName('stripe'), c, stripeCallbackHint) },
  [MPESA_PSP]: { method: 'mpesa', capabilities: MPESA_CAPABILITIES, create: () => darajaMethodAdapter(MPESA_PSP, { client: getDaraja, callbackUrl: darajaCallbackUrl, resultUrls: darajaResultUrls, c2bUrls: darajaC2bUrls }) },
} satisfies Record<string, RegistryEntry>;

export type PaymentMethodPspName = keyof typeof REGISTRY;

/** What a registered PSP can do, without building its adapter (nothing, for an unknown name). */
export function paymentMethodCapabilities(name: string): PaymentMethodCapabilities {
  return isRegisteredPsp(name) ? REGISTRY[name].capabilities : NO_METHOD_CAPABILITIES;
}

const NO_METHOD_CAPABILITIES: PaymentMethodCapabilities = { ...NO_CAPABILITIES, manualCapture: false, cancel: false };

export const isRegisteredPsp = (name: string): name is PaymentMethodPspName => Object.hasOwn(REGISTRY, name);

/** The payment method type a registered PSP charges (card, mpesa), null for an unknown name. */
export function methodOfPsp(name: string): PaymentMethodType | null {
  return isRegisteredPsp(name) ? (REGISTRY[name] as RegistryEntry).method : null;
}

/** The PSPs that take a payment method, in the default order (used when a merchant saved none). */
export function pspsForMethod(method: PaymentMethodType): PaymentMethodPspName[] {
  return (Object.keys(REGISTRY) as PaymentMethodPspName[]).filter((name) => (REGISTRY[name] as RegistryEntry).method === method);
}

/**
 * The payment method adapter of a PSP by name. Calls about an existing attempt or refund always go
 * to its own PSP (attempt.psp). An unknown or disabled PSP answers every call with "unreachable,
 * not sent" and can do nothing (no capabilities).
 */
export function getPaymentMethodAdapter(name: string): PaymentMethodAdapter {
  if (!isRegisteredPsp(name)) return unavailableMethod(name, 'not a registered PSP', NO_METHOD_CAPABILITIES);
  const entry: RegistryEntry = REGISTRY[name];
  const disabled = pspDisabledReason(name);
  if (disabled) return unavailableMethod(name, disabled, entry.capabilities);
  return entry.create(entry.capabilities);
}

function unavailableMethod(name: string, reason: string, capabilities: PaymentMethodCapabilities): PaymentMethodAdapter {
  const fail = () => Promise.reject(new PspError('unreachable', `${name}: disabled (${reason})`, false));
  const wording = {
    notSent: `${name} could not be reached.`,
    notSentRetry: `${name} could not be reached. Try again.`,
    notSentError: `${name} could not process this request. No charge was made; try again shortly.`,
    busy: `${name} is busy. No charge was made; try again shortly.`,
    unknown: `${name} did not answer in time. The payment is processing and will be resolved.`,
    unresolved: `${name} did not confirm this payment before the deadline.`,
  };
  return {
    name,
    capabilities,
    beginKey: 'authorize',
    wording,
    readPaymentMethod: fail,
    assertCanCharge: () => undefined,
    begin: fail,
    resolve: fail,
    capture: fail,
    cancel: fail,
    refund: fail,
    retrieveRefund: fail,
    settlementReport: fail,
    settlementFile: fail,
    pspFeeSchedule: { percentBps: 0, fixedMinor: 0 },
    parseCallback: () => null,
  };
}

/** Every payment method type some registered PSP takes (Stripe's payment_method_types values, mpesa ours). */
export const PAYMENT_METHOD_TYPES = [...new Set(Object.values(REGISTRY).map((e) => (e as RegistryEntry).method))] as [PaymentMethodType, ...PaymentMethodType[]];

/** The method types a PSP of the registry can charge in this currency (automatic_payment_methods). */
export function methodTypesForCurrency(currency: string): PaymentMethodType[] {
  const lower = currency.toLowerCase();
  return PAYMENT_METHOD_TYPES.filter((method) => pspsForMethod(method).some((name) => REGISTRY[name].capabilities.currencies.includes(lower)));
}
