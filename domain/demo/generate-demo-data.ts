import { createDemoTables, type DemoTables } from './demo-tables.ts';
import { demoScales, type DemoScaleName } from './demo-scale.ts';
import { addUsers, planUserIDs } from './demo-users.ts';
import { generateCatalog } from './generate-catalog.ts';
import { finishInventory, generateInventory } from './generate-inventory.ts';
import { generateOrders } from './generate-orders.ts';
import { generatePeople } from './generate-people.ts';
import { generateReporting } from './generate-reporting.ts';
import { generateRoutes } from './generate-routes.ts';
import { generateShopping } from './generate-shopping.ts';
import { generateTransfers } from './generate-transfers.ts';

/**
 * The whole demo company in memory, a pure function of scale and seed (and the password hash,
 * which is the only input that differs between runs). Nothing here touches a database.
 */
export function generateDemoData(scaleName: DemoScaleName, seed: number, passwordHash: string): DemoTables {
  const scale = demoScales[scaleName];
  const tables = createDemoTables();
  const users = planUserIDs(seed);
  const products = generateCatalog(tables, scale, seed, users.admin);
  const warehouses = generateInventory(tables, scale, seed, products);
  const { agents, customers } = generatePeople(tables, scale, seed, warehouses, users);
  const shopper = customers[0];
  if (shopper === undefined) throw new Error('The demo needs at least one customer');
  generateRoutes(tables, seed, agents);
  generateShopping(tables, seed, customers, products);
  const pickers = new Map(users.pickers.flatMap((id, index) => (warehouses[index] ? [[warehouses[index].id, id] as const] : [])));
  const orders = generateOrders(tables, scale, seed, { agents, customers, users, pickers });
  generateTransfers(tables, seed, warehouses, users.admin);
  finishInventory(tables, seed, warehouses, users.admin);
  generateReporting(tables, seed, orders, warehouses);
  addUsers(tables, users, { agents, warehouses, shopper }, passwordHash);
  return tables;
}
