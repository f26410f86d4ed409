/** The agent's orders, newest first: pending ones (not yet sent or confirmed) and each status with its reason. */
import { formatMoney, go, useDevice } from '@niaga/app-kit';
import { useSql } from './local-db.ts';
import { usePendingOrderIDs, useRefusedOrders } from './pending-orders.ts';

export interface OrderSummary {
  id: string;
  number: string;
  status: string;
  status_reason: string;
  customer: string | null;
  total_minor: number;
  currency: string;
  occurred_at: string;
}

export const orderSummarySql = `
  select o.id, o.number, o.status, o.status_reason, c.name as customer, o.total_minor, o.currency, o.occurred_at::text as occurred_at
    from orders.orders o left join customers.customers c on c.id = o.customer_id`;

export function OrderStatus(props: { readonly status: string; readonly pending: boolean }) {
  return props.pending ? <span className="badge pending">pending</span> : <span className={`badge ${props.status}`}>{props.status}</span>;
}

export function OrdersScreen() {
  const { store } = useDevice();
  const pending = usePendingOrderIDs(store);
  const refused = useRefusedOrders(store);
  const { rows } = useSql<OrderSummary>(store, `${orderSummarySql} order by o.occurred_at desc limit 100`, [], ['orders.orders', 'customers.customers']);
  return (
    <section aria-label="Orders">
      <h1>Orders</h1>
      {refused.length > 0 && (
        <ul className="list" aria-label="Refused orders">
          {refused.map((outcome) => (
            <li key={outcome.id}>
              <div className="row">
                <span>
                  Order not accepted: {outcome.message} <span className="muted">{new Date(outcome.createdAt).toLocaleString()}</span>
                </span>
                <span className="badge rejected">rejected</span>
              </div>
            </li>
          ))}
        </ul>
      )}
      {rows?.length === 0 && <p className="muted">No orders yet.</p>}
      <ul className="list" aria-label="Order list">
        {rows?.map((order) => (
          <li key={order.id} aria-label={`Order ${order.number}`}>
            <button type="button" onClick={() => go('orders', order.id)}>
              <span>
                <strong>{order.number}</strong> {order.customer} <span className="muted">{new Date(order.occurred_at).toLocaleString()}</span>
                {order.status_reason && <span className="muted"> · {order.status_reason}</span>}
              </span>
              <span>
                {formatMoney(order.total_minor, order.currency)} <OrderStatus status={order.status} pending={pending.has(order.id)} />
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
