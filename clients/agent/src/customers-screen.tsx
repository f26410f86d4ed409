/** The territory's customers, searched as you type over the device's database. */
import { go, useDevice } from '@niaga/app-kit';
import { useState } from 'react';
import { useSql } from './local-db.ts';

interface CustomerRow {
  id: string;
  name: string;
  code: string | null;
  phone: string | null;
  city: string | null;
}

export function CustomersScreen() {
  const { store } = useDevice();
  const [search, setSearch] = useState('');
  const { rows } = useSql<CustomerRow>(
    store,
    `select c.id, c.name, c.code, c.phone, a.city
       from customers.customers c
       left join lateral (select city from customers.addresses where customer_id = c.id order by is_default desc limit 1) a on true
      where c.active and ($1 = '' or c.name ilike $2 or c.code ilike $2 or a.city ilike $2 or c.phone ilike $2)
      order by c.name limit 100`,
    [search.trim(), `%${search.trim()}%`],
    ['customers.customers', 'customers.addresses'],
  );
  return (
    <section aria-label="Customers">
      <div className="toolbar">
        <input type="search" aria-label="Search customers" placeholder="Search by name, code, city or phone" value={search} onChange={(event) => setSearch(event.target.value)} />
        <button type="button" className="primary" onClick={() => go('customers', 'new')}>
          Add customer
        </button>
      </div>
      {rows?.length === 0 && <p className="muted">No customer matches “{search}”.</p>}
      <ul className="list">
        {rows?.map((customer) => (
          <li key={customer.id}>
            <button type="button" onClick={() => go('customers', customer.id)}>
              <span>
                <strong>{customer.name}</strong> <span className="muted">{customer.code ?? 'new'}</span>
              </span>
              <span className="muted">{customer.city ?? ''}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
