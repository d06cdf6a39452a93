import { AppError } from '@/lib/errors';
import { merchantPspOrder, pspDisabledReason } from './index';
import { getPaymentMethodAdapter, pspsForMethod } from './registry';
import { describeRoute, describeUnreachable, mayFailOver, planCardRoute, planMethodRoute, type RoutePlan } from './routing';
import { PspError, type PaymentMethodAdapter, type PaymentMethodDetails, type PaymentMethodType } from './types';

/**
 * The one router for every payment method: plan (which PSPs, in the merchant's order, that can
 * take this method and currency) -> read the payment method at the first reachable one -> on a
 * request that never left, fail over to the next. lib/payments asks only this.
 */

export interface RouteStep {
  index: number;
  adapter: PaymentMethodAdapter;
  paymentMethod: PaymentMethodDetails;
}

export interface Route {
  plan: RoutePlan;
  /** Why earlier PSPs of the plan were passed over (unreachable before the request left). */
  failures: string[];
  step: RouteStep;
}

/**
 * The PSPs to try for one payment, in order. Card: the merchant's card order minus disabled PSPs
 * and those that cannot charge this currency or token. Other methods: the merchant's order for it
 * minus disabled PSPs. `disabled` defaults to what the deployment lacks (keys); the pay page adds
 * its own reason (a card form needs a publishable key too).
 */
export async function planPaymentRoute(input: {
  merchantId: string;
  method: PaymentMethodType;
  currency?: string;
  /** The token or phone to charge; omitted when choosing a card form before any token exists. */
  paymentMethod?: string;
  disabled?: (psp: string) => string | null;
}): Promise<RoutePlan> {
  const preference = await merchantPspOrder(input.merchantId, input.method);
  const disabled = input.disabled ?? pspDisabledReason;
  if (input.method === 'card') {
    const plan = planCardRoute({
      preference,
      disabled,
      // A token's prefix names its PSP; without a token every card PSP may issue one.
      paymentMethod: input.paymentMethod ?? '',
      ...(input.currency ? { currency: input.currency } : {}),
      ...(input.paymentMethod === undefined ? { acceptsAnyToken: true } : {}),
    });
    return { method: 'card', ...plan };
  }
  return planMethodRoute({ method: input.method, preference, defaults: pspsForMethod(input.method), disabled });
}

/**
 * Opens a route: the first PSP of the plan that can be reached reads the payment method. A PSP
 * unreachable before the request left is noted and the next one asked; a definite "no such
 * payment method" or any other failure ends the search.
 */
export async function openRoute(plan: RoutePlan, paymentMethod: string, merchantId: string): Promise<Route> {
  if (plan.order.length === 0) {
    throw new AppError('payment_method_invalid', `No ${plan.method} PSP configured for this merchant can charge '${paymentMethod}'.`, {
      param: 'payment_method',
    });
  }
  const failures: string[] = [];
  return { plan, failures, step: await readAlongRoute(plan, 0, paymentMethod, merchantId, failures) };
}

/** The reason recorded on the attempt for the route's current PSP. */
export function routingReason(route: Route): string {
  return describeRoute(route.plan, route.step.adapter.name, route.failures);
}

/**
 * After begin failed at the route's current PSP: the next reachable PSP when the request never
 * left (it cannot have charged), or null when failing over is not safe or nothing is left.
 */
export async function failOver(route: Route, err: unknown, paymentMethod: string, merchantId: string): Promise<Route | null> {
  if (!(err instanceof PspError) || !mayFailOver(err)) return null;
  if (route.step.index + 1 >= route.plan.order.length) return null;
  const failures = [...route.failures, describeUnreachable(route.step.adapter.name, err)];
  try {
    return { plan: route.plan, failures, step: await readAlongRoute(route.plan, route.step.index + 1, paymentMethod, merchantId, failures) };
  } catch {
    return null;
  }
}

async function readAlongRoute(plan: RoutePlan, from: number, paymentMethod: string, merchantId: string, failures: string[]): Promise<RouteStep> {
  let lastError: unknown;
  let adapter: PaymentMethodAdapter | undefined;
  for (let index = from; index < plan.order.length; index++) {
    adapter = getPaymentMethodAdapter(plan.order[index]!);
    try {
      return { index, adapter, paymentMethod: await adapter.readPaymentMethod(paymentMethod, merchantId) };
    } catch (err) {
      lastError = err;
      if (err instanceof PspError && mayFailOver(err) && index + 1 < plan.order.length) {
        failures.push(describeUnreachable(adapter.name, err));
        continue;
      }
      break;
    }
  }
  if (lastError instanceof PspError && lastError.kind === 'rejected') {
    throw new AppError('payment_method_invalid', `No such payment method: '${paymentMethod}'`, { param: 'payment_method' });
  }
  if (lastError instanceof PspError)
    throw new AppError('psp_unavailable', `${adapter?.wording.notSent ?? 'The PSP could not be reached.'} Try again shortly.`, { cause: lastError });
  throw lastError;
}
