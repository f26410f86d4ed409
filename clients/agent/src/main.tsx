import { FieldApp } from '@niaga/app-kit';
import { createRoot } from 'react-dom/client';
import { AgentScreens } from './agent-screens.tsx';
import { deleteAgentStore, openAgentStore } from './local-db.ts';

/** What an agent's device syncs: its territory's customers, its own orders and routes, the catalogue and availability. */
const tables = [
  'catalog.categories',
  'catalog.products',
  'inventory.warehouses',
  'inventory.stock_items',
  'customers.customers',
  'customers.addresses',
  'orders.orders',
  'orders.order_items',
  'agents.agents',
  'agents.routes',
] as const;

createRoot(document.getElementById('root')!).render(
  <FieldApp appTitle="Niaga Agent" role="agent" tables={tables} openStore={openAgentStore} deleteStore={deleteAgentStore}>
    <AgentScreens />
  </FieldApp>,
);
