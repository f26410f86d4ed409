import type { DemoTables } from './demo-tables.ts';
import type { DemoScale } from './demo-scale.ts';
import { CURRENCY } from './generate-catalog.ts';
import type { DemoWarehouse } from './generate-inventory.ts';
import type { DemoUserIDs } from './demo-users.ts';
import { Random } from './random.ts';
import { BASE_MS, DAY, HOUR, iso } from './time.ts';
import { firstNames, lastNames, places, shopKinds, shopWords, streets, type Place } from './words.ts';

export interface DemoTerritory {
  id: string;
  place: Place;
  /** Territory n is served by warehouse WH-n. */
  warehouse: DemoWarehouse;
  agents: DemoAgent[];
}

export interface DemoAgent {
  id: string;
  /** 1-based; agents 1–6 are the demo logins agent1…agent6. */
  number: number;
  name: string;
  territory: DemoTerritory;
  rateBp: number;
  customers: DemoCustomer[];
  userID: string | null;
}

export interface DemoCustomer {
  id: string;
  code: string;
  territory: DemoTerritory;
  agent: DemoAgent;
  creditLimitMinor: number;
}

const personName = (random: Random) => `${random.pick(firstNames)} ${random.pick(lastNames)}`;
const phone = (random: Random) => `+62 8${random.int(11, 99)}-${random.int(1000, 9999)}-${random.int(1000, 9999)}`;
const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const jitter = (random: Random, centre: number) => Math.round((centre + (random.next() - 0.5) * 0.3) * 1e6) / 1e6;

/**
 * Agent numbers: the six demo agents come first, two rounds over territories 1–3
 * (agent1 and agent4 in territory 1, agent2 and agent5 in 2, agent3 and agent6 in 3), at every scale.
 */
function agentSlots(scale: DemoScale): { territory: number; round: number }[] {
  const slots: { territory: number; round: number }[] = [];
  for (let round = 0; round < scale.agentsPerTerritory; round++) {
    for (let territory = 0; territory < scale.territories; territory++) slots.push({ territory, round });
  }
  const isDemo = (slot: { territory: number; round: number }) => slot.territory < 3 && slot.round < 2;
  const rank = (slot: { territory: number; round: number }) =>
    isDemo(slot) ? slot.round * 3 + slot.territory : 6 + slot.round * scale.territories + slot.territory;
  return slots.sort((a, b) => rank(a) - rank(b));
}

export function generatePeople(tables: DemoTables, scale: DemoScale, seed: number, warehouses: DemoWarehouse[], users: DemoUserIDs) {
  const random = new Random(seed, 'people');
  const created = iso(BASE_MS - 400 * DAY);
  const territories: DemoTerritory[] = [];
  for (let t = 0; t < scale.territories; t++) {
    const place = places[t % places.length]!;
    const territory: DemoTerritory = { id: random.uuid(), place, warehouse: warehouses[t % warehouses.length]!, agents: [] };
    tables.territories.add({ id: territory.id, code: place.code, name: place.name, region: place.region, created_at: created, updated_at: created });
    territories.push(territory);
  }

  const agents: DemoAgent[] = agentSlots(scale).map((slot, index) => {
    const territory = territories[slot.territory]!;
    const number = index + 1;
    const agent: DemoAgent = {
      id: random.uuid(), number, name: personName(random), territory, rateBp: random.int(4, 10) * 50, customers: [],
      userID: users.agents[index] ?? null,
    };
    territory.agents.push(agent);
    tables.agents.add({
      id: agent.id, code: `AG-${String(number).padStart(3, '0')}`, name: agent.name, email: `agent${number}@niaga.test`, phone: phone(random),
      territory_id: territory.id, warehouse_id: territory.warehouse.id, commission_rate_bp: agent.rateBp, active: true,
      created_at: created, updated_at: created,
    });
    return agent;
  });

  const customers: DemoCustomer[] = [];
  for (let index = 0; index < scale.customers; index++) {
    const territory = territories[index % territories.length]!;
    const agent = territory.agents[Math.floor(index / territories.length) % territory.agents.length]!;
    const code = `C-${String(index + 1).padStart(5, '0')}`;
    const name = random.chance(0.25)
      ? `Warung ${random.pick(['Bu', 'Pak', 'Mbak', 'Koh'])} ${random.pick(firstNames)}`
      : `${random.pick(shopKinds)} ${random.sample(shopWords, 2).join(' ')}`;
    const creditLimitMinor = random.chance(0.2) ? 0 : random.int(10, 100) * 5_000;
    const customer: DemoCustomer = { id: random.uuid(), code, territory, agent, creditLimitMinor };
    const createdMs = BASE_MS - random.int(100, 380) * DAY + random.int(8, 17) * HOUR;
    const stamp = iso(createdMs);
    tables.customers.add({
      id: customer.id, code, name, email: random.chance(0.7) ? `${slug(name)}-${index + 1}@example.com` : null, phone: phone(random),
      territory_id: territory.id, credit_limit_minor: creditLimitMinor, currency: CURRENCY,
      notes: random.weighted([['', 14], ['Deliver before 10:00', 1], ['Closed on Friday after 11:00', 1], ['Pays cash on delivery', 1], ['Narrow street: small truck only', 1]]),
      active: random.chance(0.98), created_by: agent.userID ?? users.admin, created_at: stamp, updated_at: stamp,
    });
    const addressCount = random.chance(0.3) ? 2 : 1;
    for (let a = 0; a < addressCount; a++) {
      tables.addresses.add({
        id: random.uuid(), customer_id: customer.id, territory_id: territory.id, label: a === 0 ? 'Shop' : random.pick(['Warehouse', 'Owner home', 'Second shop']),
        line1: `${random.pick(streets)} No. ${random.int(1, 250)}`, line2: random.chance(0.2) ? `Ruko Blok ${random.pick(['A', 'B', 'C', 'D'])}${random.int(1, 20)}` : '',
        city: random.pick(territory.place.cities), region: territory.place.region,
        postal_code: `${territory.place.postalPrefix}${String(random.int(100, 999))}`, country: 'ID',
        latitude: jitter(random, territory.place.latitude), longitude: jitter(random, territory.place.longitude), is_default: a === 0,
        created_at: stamp, updated_at: stamp,
      });
    }
    agent.customers.push(customer);
    customers.push(customer);
  }
  return { territories, agents, customers };
}
