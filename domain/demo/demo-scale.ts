export type DemoScaleName = 'small' | 'large';

export interface DemoScale {
  products: number;
  warehouses: number;
  binsPerWarehouse: number;
  /** Share of products each warehouse stocks (1: every product everywhere). */
  stockedShare: number;
  territories: number;
  agentsPerTerritory: number;
  customers: number;
  orders: number;
  /** How far back order history goes. */
  historyDays: number;
  /** Rows per insert statement. */
  batchSize: number;
}

export const demoScales: Record<DemoScaleName, DemoScale> = {
  small: {
    products: 500, warehouses: 3, binsPerWarehouse: 40, stockedShare: 1, territories: 3, agentsPerTerritory: 2,
    customers: 300, orders: 200, historyDays: 42, batchSize: 5_000,
  },
  // ~350k stock items: each of 10 warehouses stocks a deterministic ~35% of 100k products.
  large: {
    products: 100_000, warehouses: 10, binsPerWarehouse: 240, stockedShare: 0.35, territories: 10, agentsPerTerritory: 3,
    customers: 10_000, orders: 5_000, historyDays: 56, batchSize: 5_000,
  },
};
