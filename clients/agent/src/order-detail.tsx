/** One order: its status (and why), its lines as allocated, and whether it still waits to be sent. */
import { formatMoney, useDevice } from '@niaga/app-kit';
import { useSql } from './local-db.ts';
import { OrderPayments } from './order-payments.tsx';
import { OrderStatus, orderSummarySql, type OrderSummary } from './orders-screen.tsx';
import { usePendingOrderIDs } from './pending-orders.ts';

interface Line {
  id: string;
  name: string;
  sku: string;
  qty: number;
  allocated_qty: number;
  unit_price_minor: number;
  line_total_minor: number;
}

export function OrderDetail(props: { readonly orderID: string }) {
  const { store } = useDevice();
  const pending = usePendingOrderIDs(store).has(props.orderID);
  const order = useSql<OrderSummary>(store, `${orderSummarySql} where o.id = $1`, [props.orderID], ['orders.orders', 'customers.customers']).rows?.[0];
  const lines = useSql<Line>(store, 'select id, name, sku, qty, allocated_qty, unit_price_minor, line_total_minor from orders.order_items where order_id = $1 order by sku', [props.orderID], ['orders.order_items']).rows;
  if (!order) return <p className="muted">This order is not on this device (a refused order is explained in the inbox).</p>;
  return (
    <section aria-label="Order">
      <h1>
        Order {order.number} <OrderStatus status={order.status} pending={pending} />
      </h1>
      <p data-testid="order-status">
        {pending ? 'Saved on this device; it is sent when there is a connection.' : `Status: ${order.status}`}
        {order.status_reason && ` · ${order.status_reason}`}
      </p>
      <p className="muted">
        {order.customer} · {new Date(order.occurred_at).toLocaleString()}
      </p>
      <table>
        <thead>
          <tr>
            <th>Product</th>
            <th>Qty</th>
            <th>Allocated</th>
            <th>Total</th>
          </tr>
        </thead>
        <tbody>
          {lines?.map((line) => (
            <tr key={line.id}>
              <td>
                {line.name} <span className="muted">{line.sku}</span>
              </td>
              <td>{line.qty}</td>
              <td className={line.allocated_qty < line.qty && !pending ? 'error' : ''}>{line.allocated_qty}</td>
              <td>{formatMoney(line.line_total_minor, order.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        Total <strong>{formatMoney(order.total_minor, order.currency)}</strong>
      </p>
      <OrderPayments orderID={order.id} totalMinor={Number(order.total_minor)} currency={order.currency} payable={!['cancelled', 'rejected'].includes(order.status)} />
    </section>
  );
}
