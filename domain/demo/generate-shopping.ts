import type { DemoTables } from './demo-tables.ts';
import type { DemoProduct } from './generate-catalog.ts';
import type { DemoCustomer } from './generate-people.ts';
import { Random } from './random.ts';
import { BASE_MS, DAY, HOUR, iso } from './time.ts';

/** Storefront state: the shopper's cart and wishlist, plus wishlists and open carts of some other customers. */
export function generateShopping(tables: DemoTables, seed: number, customers: DemoCustomer[], products: DemoProduct[]): void {
  const random = new Random(seed, 'shopping');
  const forSale = products.filter((product) => product.active);
  customers.forEach((customer, index) => {
    const isShopper = index === 0;
    const wishes = isShopper ? 6 : random.chance(0.15) ? random.int(1, 5) : 0;
    for (const product of random.sample(forSale, wishes)) {
      const stamp = iso(BASE_MS - random.int(1, 60) * DAY + random.int(8, 21) * HOUR);
      tables.wishlists.add({ id: random.uuid(), customer_id: customer.id, product_id: product.id, created_at: stamp, updated_at: stamp });
    }
    const lines = isShopper ? 4 : random.chance(0.05) ? random.int(1, 6) : 0;
    if (lines === 0) return;
    const cartID = random.uuid();
    const createdMs = BASE_MS - random.int(1, 5) * DAY + random.int(8, 21) * HOUR;
    let updatedMs = createdMs;
    const items = random.sample(forSale, lines).map((product) => {
      const variant = product.variants.length > 0 ? random.pick(product.variants) : null;
      updatedMs += random.int(1, 30) * 60_000;
      return { product, variant, qty: random.int(1, 12), at: iso(updatedMs) };
    });
    tables.carts.add({ id: cartID, customer_id: customer.id, created_at: iso(createdMs), updated_at: iso(updatedMs) });
    for (const item of items) {
      tables.cartItems.add({
        id: random.uuid(), cart_id: cartID, customer_id: customer.id, product_id: item.product.id, variant_id: item.variant?.id ?? null,
        qty: item.qty, created_at: item.at, updated_at: item.at,
      });
    }
  });
}
