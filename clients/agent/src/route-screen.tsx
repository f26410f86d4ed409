/** Today's route: the customers to visit, in order. Without a plan for today, the nearest planned day. */
import { go, useDevice } from '@niaga/app-kit';
import { useSql } from './local-db.ts';

interface Stop {
  id: string;
  planned_for: string;
  sequence: number;
  status: string;
  customer_id: string;
  name: string;
  city: string | null;
}

const today = () => new Date().toISOString().slice(0, 10);

export function RouteScreen() {
  const { store } = useDevice();
  const { rows } = useSql<Stop>(
    store,
    `with day as (
       select coalesce(min(planned_for) filter (where planned_for >= $1::date), max(planned_for)) as planned_for from agents.routes
     )
     select r.id, r.planned_for::text as planned_for, r.sequence, r.status, c.id as customer_id, c.name,
            (select a.city from customers.addresses a where a.customer_id = c.id order by a.is_default desc limit 1) as city
       from agents.routes r join day on r.planned_for = day.planned_for
       join customers.customers c on c.id = r.customer_id
      order by r.sequence`,
    [today()],
    ['agents.routes', 'customers.customers', 'customers.addresses'],
  );
  if (!rows) return <p className="muted">Loading…</p>;
  const day = rows[0]?.planned_for;
  return (
    <section aria-label="Route">
      <h1>{day === undefined ? 'No route planned' : day === today() ? "Today's route" : `Route for ${day}`}</h1>
      {day !== undefined && day !== today() && <p className="muted">Nothing is planned for today; this is the nearest planned day.</p>}
      <ol className="list">
        {rows.map((stop) => (
          <li key={stop.id}>
            <button type="button" onClick={() => go('customers', stop.customer_id)}>
              <span>
                {stop.sequence}. <strong>{stop.name}</strong> <span className="muted">{stop.city ?? ''}</span>
              </span>
              <span className={`badge ${stop.status}`}>{stop.status}</span>
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}
