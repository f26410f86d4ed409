import type { DemoTables } from './demo-tables.ts';
import type { DemoAgent, DemoCustomer } from './generate-people.ts';
import type { DemoWarehouse } from './generate-inventory.ts';
import { Random } from './random.ts';
import { BASE_MS, DAY, iso } from './time.ts';

export type DemoRole = 'admin' | 'agent' | 'warehouse' | 'customer';

export interface DemoLogin {
  email: string;
  role: DemoRole;
  description: string;
}

/** The demo logins (same at every scale), for the server to print at start. All share the demo password. */
export const demoLogins: readonly DemoLogin[] = [
  { email: 'admin@niaga.test', role: 'admin', description: 'Head office: everything, including costs and every warehouse' },
  { email: 'agent1@niaga.test', role: 'agent', description: 'Sales agent AG-001, territory 1 (Jakarta): its customers, routes and orders' },
  { email: 'agent2@niaga.test', role: 'agent', description: 'Sales agent AG-002, territory 2 (Surabaya): sees none of Jakarta' },
  { email: 'agent3@niaga.test', role: 'agent', description: 'Sales agent AG-003, territory 3 (Medan)' },
  { email: 'agent4@niaga.test', role: 'agent', description: 'Sales agent AG-004, territory 1 (Jakarta): the same territory as agent1' },
  { email: 'agent5@niaga.test', role: 'agent', description: 'Sales agent AG-005, territory 2 (Surabaya)' },
  { email: 'agent6@niaga.test', role: 'agent', description: 'Sales agent AG-006, territory 3 (Medan)' },
  { email: 'picker1@niaga.test', role: 'warehouse', description: 'Picker at WH-1 (Jakarta): pick lists, counts and transfers of WH-1 only' },
  { email: 'picker2@niaga.test', role: 'warehouse', description: 'Picker at WH-2 (Surabaya)' },
  { email: 'picker3@niaga.test', role: 'warehouse', description: 'Picker at WH-3 (Medan)' },
  { email: 'shopper1@niaga.test', role: 'customer', description: 'Shop owner of customer C-00001 (Jakarta) on the storefront: a cart, a wishlist and past orders' },
];

/** User ids drawn first, so every other part can name who created or changed a row. */
export interface DemoUserIDs {
  admin: string;
  agents: string[];
  pickers: string[];
  shopper: string;
}

export function planUserIDs(seed: number): DemoUserIDs {
  const random = new Random(seed, 'users');
  const ids = demoLogins.map(() => random.uuid());
  const idsFor = (role: DemoRole) => demoLogins.flatMap((login, index) => (login.role === role ? [ids[index]!] : []));
  return { admin: idsFor('admin')[0]!, agents: idsFor('agent'), pickers: idsFor('warehouse'), shopper: idsFor('customer')[0]! };
}

export function addUsers(
  tables: DemoTables,
  ids: DemoUserIDs,
  scope: { agents: DemoAgent[]; warehouses: DemoWarehouse[]; shopper: DemoCustomer },
  passwordHash: string,
): void {
  const stamp = iso(BASE_MS - 400 * DAY);
  const base = { password_hash: passwordHash, warehouse_id: null, territory_id: null, agent_id: null, customer_id: null, disabled: false, created_at: stamp, updated_at: stamp };
  tables.users.add({ ...base, id: ids.admin, email: 'admin@niaga.test', name: 'Head Office Admin', role: 'admin' });
  ids.agents.forEach((id, index) => {
    const agent = scope.agents[index];
    if (agent === undefined) throw new Error(`The demo needs at least ${ids.agents.length} agents`);
    tables.users.add({ ...base, id, email: `agent${agent.number}@niaga.test`, name: agent.name, role: 'agent', agent_id: agent.id, territory_id: agent.territory.id });
  });
  ids.pickers.forEach((id, index) => {
    const warehouse = scope.warehouses[index];
    if (warehouse === undefined) throw new Error(`The demo needs at least ${ids.pickers.length} warehouses`);
    tables.users.add({ ...base, id, email: `picker${index + 1}@niaga.test`, name: `Picker ${warehouse.code}`, role: 'warehouse', warehouse_id: warehouse.id });
  });
  tables.users.add({ ...base, id: ids.shopper, email: 'shopper1@niaga.test', name: `Shopper ${scope.shopper.code}`, role: 'customer', customer_id: scope.shopper.id });
}
