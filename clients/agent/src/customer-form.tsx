/**
 * Add or edit a customer, offline: `customer.upsert` then `address.upsert`, each queued on the
 * device. Fields are checked here first, so a mistake never leaves half a customer queued.
 */
import { go, MutationError, newID, useDevice } from '@niaga/app-kit';
import { useMutator } from '@niaga/sync/react';
import { useEffect, useState, type FormEvent } from 'react';
import { useSql } from './local-db.ts';

interface Fields {
  name: string;
  email: string;
  phone: string;
  notes: string;
  line1: string;
  city: string;
  region: string;
  postalCode: string;
  country: string;
}
const empty: Fields = { name: '', email: '', phone: '', notes: '', line1: '', city: '', region: '', postalCode: '', country: 'ID' };

function problemsOf(fields: Fields): string[] {
  const problems: string[] = [];
  if (!fields.name.trim()) problems.push('Name is required.');
  if (fields.email.trim() && !/^[^@\s]+@[^@\s]+$/.test(fields.email.trim())) problems.push('Email must look like name@example.com.');
  if (!fields.line1.trim()) problems.push('Street address is required.');
  if (!fields.city.trim()) problems.push('City is required.');
  if (!/^[A-Z]{2}$/.test(fields.country)) problems.push('Country must be a two-letter code such as ID.');
  return problems;
}

interface Existing {
  name: string;
  email: string | null;
  phone: string | null;
  notes: string;
  address_id: string | null;
  line1: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
}

export function CustomerForm(props: { readonly customerID?: string }) {
  const { client, store } = useDevice();
  const { mutate, pending, error } = useMutator(client);
  const [fields, setFields] = useState<Fields>(empty);
  const [problems, setProblems] = useState<string[]>([]);
  const existing = useSql<Existing>(
    store,
    `select c.name, c.email, c.phone, c.notes, a.id as address_id, a.line1, a.city, a.region, a.postal_code, a.country
       from customers.customers c
       left join lateral (select * from customers.addresses where customer_id = c.id order by is_default desc limit 1) a on true
      where c.id = $1`,
    [props.customerID ?? '00000000-0000-4000-8000-000000000000'],
    [],
  ).rows?.[0];
  useEffect(() => {
    if (!existing) return;
    setFields({
      name: existing.name,
      email: existing.email ?? '',
      phone: existing.phone ?? '',
      notes: existing.notes,
      line1: existing.line1 ?? '',
      city: existing.city ?? '',
      region: existing.region ?? '',
      postalCode: existing.postal_code ?? '',
      country: existing.country?.trim() || 'ID',
    });
  }, [existing]);

  const field = (name: keyof Fields, label: string, options: { type?: string; required?: boolean } = {}) => (
    <label>
      {label}
      {/* Checked by problemsOf (clear messages), not by the browser's own validation bubbles. */}
      <input name={name} type={options.type ?? 'text'} aria-required={options.required} value={fields[name]} onChange={(event) => setFields({ ...fields, [name]: event.target.value })} />
    </label>
  );

  async function save(event: FormEvent) {
    event.preventDefault();
    const found = problemsOf(fields);
    setProblems(found);
    if (found.length > 0) return;
    const customerID = props.customerID ?? newID();
    const saved = await mutate('customer.upsert', {
      customerID,
      name: fields.name.trim(),
      email: fields.email.trim() || null,
      phone: fields.phone.trim() || null,
      notes: fields.notes.trim(),
    });
    if (!saved.ok) return;
    const address = await mutate('address.upsert', {
      addressID: existing?.address_id ?? newID(),
      customerID,
      line1: fields.line1.trim(),
      city: fields.city.trim(),
      region: fields.region.trim(),
      postalCode: fields.postalCode.trim(),
      country: fields.country,
      isDefault: true,
    });
    if (address.ok) go('customers', customerID);
  }

  return (
    <form onSubmit={(event) => void save(event)} aria-label={props.customerID ? 'Edit customer' : 'Add customer'}>
      <h1>{props.customerID ? 'Edit customer' : 'Add customer'}</h1>
      {field('name', 'Shop name', { required: true })}
      {field('phone', 'Phone', { type: 'tel' })}
      {field('email', 'Email', { type: 'email' })}
      {field('line1', 'Street address', { required: true })}
      {field('city', 'City', { required: true })}
      {field('region', 'Region')}
      {field('postalCode', 'Postal code')}
      {field('country', 'Country (two letters)')}
      <label>
        Notes
        <textarea name="notes" value={fields.notes} onChange={(event) => setFields({ ...fields, notes: event.target.value })} />
      </label>
      {problems.map((problem) => (
        <p key={problem} role="alert" className="error">
          {problem}
        </p>
      ))}
      <MutationError error={error} />
      <div className="toolbar">
        <button type="submit" className="primary" disabled={pending}>
          Save
        </button>
        <button type="button" onClick={() => history.back()}>
          Cancel
        </button>
      </div>
    </form>
  );
}
