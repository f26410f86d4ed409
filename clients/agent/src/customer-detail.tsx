/** One customer: contact, addresses and order history, with the way to a new order. */
import { formatMoney, go, useDevice } from '@niaga/app-kit';
import { useSql } from './local-db.ts';

interface Customer {
  id: string;
  name: string;
  code: string | null;
  email: string | null;
  phone: string | null;
  notes: string;
  credit_limit_minor: number;
  currency: string;
}
interface Address {
  id: string;
  label: string;
  line1: string;
  line2: string;
  city: string;
  region: string;
  postal_code: string;
  country: string;
  is_default: boolean;
}
interface OrderRow {
  id: string;
  number: string;
  status: string;
  total_minor: number;
  currency: string;
  occurred_at: string;
}

export function CustomerDetail(props: { readonly customerID: string }) {
  const { store } = useDevice();
  const params = [props.customerID];
  const customer = useSql<Customer>(store, 'select id, name, code, email, phone, notes, credit_limit_minor, currency from customers.customers where id = $1', params, ['customers.customers']).rows?.[0];
  const addresses = useSql<Address>(store, 'select id, label, line1, line2, city, region, postal_code, country, is_default from customers.addresses where customer_id = $1 order by is_default desc, label', params, ['customers.addresses']).rows;
  const orders = useSql<OrderRow>(store, 'select id, number, status, total_minor, currency, occurred_at::text as occurred_at from orders.orders where customer_id = $1 order by occurred_at desc limit 50', params, ['orders.orders']).rows;
  if (!customer) return <p className="muted">No such customer on this device.</p>;
  return (
    <section aria-label="Customer">
      <h1>{customer.name}</h1>
      <p className="muted">
        {customer.code ?? 'New customer (code assigned by the office)'} · credit limit {formatMoney(customer.credit_limit_minor, customer.currency)}
      </p>
      <p>
        {customer.phone && <a href={`tel:${customer.phone}`}>{customer.phone}</a>} {customer.email && <a href={`mailto:${customer.email}`}>{customer.email}</a>}
      </p>
      {customer.notes && <p>{customer.notes}</p>}
      <div className="toolbar">
        <button type="button" className="primary" onClick={() => go('new-order', customer.id)}>
          New order
        </button>
        <button type="button" onClick={() => go('customers', customer.id, 'edit')}>
          Edit
        </button>
      </div>
      <h2>Addresses</h2>
      <ul className="list">
        {addresses?.map((address) => (
          <li key={address.id}>
            <div className="row">
              <span>
                {address.label && <strong>{address.label}: </strong>}
                {[address.line1, address.line2, address.city, address.region, address.postal_code, address.country].filter(Boolean).join(', ')}
              </span>
              {address.is_default && <span className="badge">default</span>}
            </div>
          </li>
        ))}
      </ul>
      <h2>Orders</h2>
      {orders?.length === 0 && <p className="muted">No orders yet.</p>}
      <ul className="list">
        {orders?.map((order) => (
          <li key={order.id}>
            <button type="button" onClick={() => go('orders', order.id)}>
              <span>
                {order.number} <span className="muted">{new Date(order.occurred_at).toLocaleDateString()}</span>
              </span>
              <span>
                {formatMoney(order.total_minor, order.currency)} <span className={`badge ${order.status}`}>{order.status}</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
