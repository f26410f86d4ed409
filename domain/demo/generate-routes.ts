import type { DemoTables } from './demo-tables.ts';
import type { DemoAgent } from './generate-people.ts';
import { Random } from './random.ts';
import { BASE_MS, DAY, HOUR, MINUTE, dayOf, isWeekend, iso } from './time.ts';

/**
 * Each agent's visit plan for the working days of last week and this week: past days visited or
 * skipped, the base day ("today") and later still planned. Agents work through their own
 * customers in turn, so every customer is visited now and then.
 */
export function generateRoutes(tables: DemoTables, seed: number, agents: DemoAgent[]): void {
  const random = new Random(seed, 'routes');
  for (const agent of agents) {
    if (agent.customers.length === 0) continue;
    const order = random.sample(agent.customers, agent.customers.length);
    let next = 0;
    for (let offset = -7; offset <= 4; offset++) {
      const dayMs = BASE_MS + offset * DAY;
      if (isWeekend(dayMs)) continue;
      const plannedMs = dayMs - 3 * DAY + 7 * HOUR;
      const visits = Math.min(random.int(6, 10), agent.customers.length);
      for (let sequence = 1; sequence <= visits; sequence++) {
        const customer = order[next++ % order.length]!;
        const past = offset < 0;
        const skipped = past && random.chance(0.12);
        const visitedMs = past && !skipped ? dayMs + 9 * HOUR + sequence * 35 * MINUTE + random.int(0, 20) * MINUTE : null;
        tables.routes.add({
          id: random.uuid(), agent_id: agent.id, territory_id: agent.territory.id, customer_id: customer.id, planned_for: dayOf(dayMs),
          sequence, status: !past ? 'planned' : skipped ? 'skipped' : 'visited', visited_at: visitedMs === null ? null : iso(visitedMs),
          notes: skipped ? random.pick(['Shop closed', 'Owner away', 'Ran out of time']) : '',
          created_at: iso(plannedMs), updated_at: iso(visitedMs ?? (skipped ? dayMs + 17 * HOUR : plannedMs)),
        });
      }
    }
  }
}
