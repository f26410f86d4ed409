/**
 * Payments taken in the field: an agent collects cash (or a transfer slip, or a card on a terminal)
 * at the shop, offline if need be, against one of their orders. The server decides against every
 * payment it has: a payment the order still needed is processed; one it no longer needs (another
 * device already recorded the same invoice) is kept as failed, for an admin to refund or settle,
 * and the device is told so. Nothing is dropped: the money was taken. A pending payment of the
 * order (an invoice on credit terms) is settled once the order is paid in full.
 */
import { Timestamp, Uuid } from '@niaga/protocol';
import { Type } from 'typebox';
import { defineMutator } from './define-mutator.ts';
import { num } from './guards.ts';
import { adjusted, applied, reject } from './outcome.ts';

export const recordPaymentArgs = Type.Object(
  {
    paymentID: Uuid,
    orderID: Uuid,
    amountMinor: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000 }),
    method: Type.Union([Type.Literal('cash'), Type.Literal('bank_transfer'), Type.Literal('card')]),
    /** The slip, receipt or terminal reference, if there is one. */
    reference: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    occurredAt: Timestamp,
  },
  { additionalProperties: false },
);

const unpayable = new Set(['cancelled', 'rejected']);

export const recordPayment = defineMutator('payment.record', recordPaymentArgs, async (ctx, args) => {
  const { actor, tx } = ctx;
  if (actor.role !== 'agent' && actor.role !== 'admin') reject('FORBIDDEN', 'Only agents and admins record payments');
  const order = await tx.get('orders.orders', args.orderID, { lock: true });
  // A missing claim (null) must never match a missing column value (null).
  const own = actor.role === 'admin' || (actor.agent_id !== null && order?.agent_id === actor.agent_id);
  if (!order || !own) return reject('NOT_FOUND', `Order ${args.orderID} does not exist`);
  if (await tx.get('orders.payments', args.paymentID)) reject('INVALID_STATE', `Payment ${args.paymentID} exists already`);
  if (unpayable.has(String(order.status))) reject('INVALID_STATE', `An order that is ${String(order.status)} takes no payment`, { status: order.status });

  const payments = await tx.list('orders.payments', { order_id: args.orderID });
  const paid = payments.filter((payment) => payment.status === 'processed').reduce((sum, payment) => sum + num(payment.amount_minor), 0);
  const outstanding = Math.max(0, num(order.total_minor) - paid);
  const fits = args.amountMinor <= outstanding;
  const failure = fits ? null : `The order had ${outstanding} left to pay (minor units of ${String(order.currency)}) and ${args.amountMinor} was taken`;
  await tx.insert('orders.payments', {
    id: args.paymentID,
    order_id: args.orderID,
    customer_id: order.customer_id,
    agent_id: order.agent_id ?? null,
    amount_minor: args.amountMinor,
    currency: order.currency,
    method: args.method,
    status: fits ? 'processed' : 'failed',
    provider_ref: args.reference ?? null,
    failure_reason: failure,
    processed_at: fits ? args.occurredAt : null,
    created_at: ctx.now,
    updated_at: ctx.now,
  });
  const event = { paymentID: args.paymentID, orderID: args.orderID, customerID: order.customer_id, amountMinor: args.amountMinor, currency: order.currency, method: args.method };
  if (fits) {
    if (args.amountMinor === outstanding) {
      for (const credit of payments.filter((payment) => payment.status === 'pending')) {
        await tx.update('orders.payments', String(credit.id), { status: 'settled', updated_at: ctx.now });
      }
    }
    await ctx.emit('payment.processed', { ...event, outstandingMinor: outstanding - args.amountMinor });
    return applied;
  }
  await ctx.emit('payment.failed', { ...event, reason: 'OVERPAYMENT', outstandingMinor: outstanding });
  return adjusted('OVERPAYMENT', `${failure}: the payment is kept as failed for an admin to refund or settle`, { outstandingMinor: outstanding });
});
