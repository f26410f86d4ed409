/**
 * An order's payments as the device has them, and the form to record one taken at the shop (cash,
 * a transfer slip, a card terminal), offline if need be. The server decides: a payment the order
 * no longer needed (another device recorded it first) comes back as failed, with the reason.
 */
import { formatMoney, MutationError, newID, useDevice } from '@niaga/app-kit';
import { useLiveQuery, useMutator } from '@niaga/sync/react';
import { useState, type FormEvent } from 'react';
import { parseAmount } from './amount.ts';
import { useSql } from './local-db.ts';

interface PaymentRow {
  id: string;
  amount_minor: number;
  method: string;
  status: string;
  provider_ref: string | null;
  failure_reason: string | null;
}

const methods = { cash: 'Cash', bank_transfer: 'Bank transfer', card: 'Card' } as const;
type Method = keyof typeof methods;

export function OrderPayments(props: { readonly orderID: string; readonly totalMinor: number; readonly currency: string; readonly payable: boolean }) {
  const { store, client } = useDevice();
  const { mutate, error } = useMutator(client);
  const payments = useSql<PaymentRow>(
    store,
    'select id, amount_minor, method, status, provider_ref, failure_reason from orders.payments where order_id = $1 order by created_at, id',
    [props.orderID],
    ['orders.payments'],
  ).rows;
  const unsent = useLiveQuery(
    store,
    async (tx) => new Set((await tx.listPending()).filter((mutation) => mutation.name === 'payment.record').map((mutation) => (mutation.args as { paymentID: string }).paymentID)),
    ['orders.payments', 'sync.clients'],
  ).data;
  const paid = (payments ?? []).filter((payment) => payment.status === 'processed').reduce((sum, payment) => sum + Number(payment.amount_minor), 0);
  const outstanding = Math.max(0, props.totalMinor - paid);
  const [amount, setAmount] = useState('');
  const [method, setMethod] = useState<Method>('cash');
  const [reference, setReference] = useState('');
  const [problem, setProblem] = useState<string | undefined>(undefined);

  async function record(event: FormEvent) {
    event.preventDefault();
    const minor = parseAmount(amount);
    if (minor === undefined) return setProblem('Enter the amount taken, e.g. 12.50.');
    if (minor > outstanding) return setProblem(`Only ${formatMoney(outstanding, props.currency)} is left to pay on this order.`);
    setProblem(undefined);
    const result = await mutate('payment.record', {
      paymentID: newID(),
      orderID: props.orderID,
      amountMinor: minor,
      method,
      ...(reference.trim() ? { reference: reference.trim() } : {}),
      occurredAt: new Date().toISOString(),
    });
    if (result.ok) {
      setAmount('');
      setReference('');
    }
  }

  return (
    <section aria-label="Payments">
      <h2>Payments</h2>
      <ul className="list">
        {payments?.map((payment) => (
          <li key={payment.id} aria-label={`Payment of ${formatMoney(Number(payment.amount_minor), props.currency)}`}>
            {formatMoney(Number(payment.amount_minor), props.currency)} · {methods[payment.method as Method] ?? payment.method}
            {payment.provider_ref && <span className="muted"> · {payment.provider_ref}</span>}
            {' · '}
            <span className={payment.status === 'failed' ? 'error' : ''}>{unsent?.has(payment.id) ? 'saved on this device, not sent yet' : payment.status}</span>
            {payment.failure_reason && <p className="error small">{payment.failure_reason}</p>}
          </li>
        ))}
      </ul>
      <p data-testid="outstanding">{outstanding === 0 ? 'Paid in full.' : `Left to pay: ${formatMoney(outstanding, props.currency)}`}</p>
      {props.payable && outstanding > 0 && (
        <form onSubmit={(event) => void record(event)} aria-label="Record a payment">
          <label>
            Amount taken
            <input inputMode="decimal" value={amount} onChange={(event) => setAmount(event.target.value)} aria-invalid={problem !== undefined} />
          </label>
          <label>
            How
            <select value={method} onChange={(event) => setMethod(event.target.value as Method)}>
              {Object.entries(methods).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Receipt or slip number (optional)
            <input value={reference} maxLength={200} onChange={(event) => setReference(event.target.value)} />
          </label>
          {problem && (
            <p role="alert" className="error">
              {problem}
            </p>
          )}
          <MutationError error={error} />
          <button type="submit" className="primary">
            Record payment
          </button>
        </form>
      )}
    </section>
  );
}
