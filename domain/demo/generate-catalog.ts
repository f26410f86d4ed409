import type { DemoTables } from './demo-tables.ts';
import type { DemoScale } from './demo-scale.ts';
import { Random } from './random.ts';
import { BASE_MS, DAY, HOUR, iso } from './time.ts';
import { brands, categoryTree, extraTags } from './words.ts';

export const CURRENCY = 'USD';

export interface DemoVariant {
  id: string;
  sku: string;
  label: string;
  /** What the variant sells for: its own price, or the product's. */
  priceMinor: number;
}

export interface DemoProduct {
  id: string;
  sku: string;
  name: string;
  active: boolean;
  priceMinor: number;
  costMinor: number;
  variants: DemoVariant[];
}

const sizeMultipliers = [1, 3, 6, 12];
const roundPrice = (cents: number) => Math.max(5, Math.round(cents / 5) * 5);

/** EAN-13 with a GS1 Indonesia-style prefix; `serial` keeps every barcode unique. */
export function ean13(prefix: string, serial: number): string {
  const body = `${prefix}${String(serial).padStart(12 - prefix.length, '0')}`;
  const sum = [...body].reduce((total, digit, index) => total + Number(digit) * (index % 2 === 0 ? 1 : 3), 0);
  return `${body}${(10 - (sum % 10)) % 10}`;
}

export function generateCatalog(tables: DemoTables, scale: DemoScale, seed: number, adminUserID: string): DemoProduct[] {
  const random = new Random(seed, 'catalog');
  const catalogStart = BASE_MS - 400 * DAY;
  const leaves: { id: string; leaf: (typeof categoryTree)[number]['leaves'][number] }[] = [];
  categoryTree.forEach((top, topIndex) => {
    const topID = random.uuid();
    const stamp = iso(catalogStart + topIndex * HOUR);
    tables.categories.add({ id: topID, parent_id: null, name: top.name, slug: top.slug, sort_order: topIndex, created_at: stamp, updated_at: stamp });
    top.leaves.forEach((leaf, leafIndex) => {
      const id = random.uuid();
      tables.categories.add({ id, parent_id: topID, name: leaf.name, slug: leaf.slug, sort_order: leafIndex, created_at: stamp, updated_at: stamp });
      leaves.push({ id, leaf });
    });
  });

  const products: DemoProduct[] = [];
  let variantSerial = 0;
  for (let index = 0; index < scale.products; index++) {
    const { id: categoryID, leaf } = leaves[index % leaves.length]!;
    const id = random.uuid();
    const sku = `${leaf.code}-${String(index + 1).padStart(6, '0')}`;
    const brand = random.pick(brands);
    const item = random.pick(leaf.items);
    const sizeIndex = random.int(0, leaf.sizes.length - 1);
    const hasVariants = random.chance(0.08);
    // Size variants sell the sizes as separate prices under one name; colour variants share the price.
    const sizedVariants = hasVariants && leaf.colours === undefined;
    const name = sizedVariants ? `${brand} ${item}` : `${brand} ${item} ${leaf.sizes[sizeIndex]}`;
    const basePrice = random.int(leaf.price[0], leaf.price[1]);
    const priceMinor = roundPrice(basePrice * (sizedVariants ? 1 : sizeMultipliers[sizeIndex]!));
    const costMinor = Math.round(priceMinor * (0.62 + random.next() * 0.23));
    const createdMs = catalogStart + random.int(0, 300) * DAY + random.int(8, 17) * HOUR;
    const tags = [...leaf.tags, ...random.sample(extraTags, random.weighted([[0, 5], [1, 3], [2, 1]]))];
    const active = random.chance(0.97);

    // Price history, oldest first; the last entry is today's price.
    const changes = random.weighted([[0, 6], [1, 3], [2, 1]]);
    const history = [priceMinor];
    for (let k = 0; k < changes; k++) history.unshift(roundPrice(history[0]! * (0.86 + random.next() * 0.12)));
    const span = BASE_MS - DAY - createdMs;
    const changeTimes = history.map((_, k) => (k === 0 ? createdMs : createdMs + Math.floor((span * k) / history.length) + random.int(0, 6) * HOUR));
    const updatedMs = changeTimes[changeTimes.length - 1]!;
    history.forEach((price, k) => {
      const at = iso(changeTimes[k]!);
      tables.priceHistory.add({
        id: random.uuid(), product_id: id, price_minor: price, currency: CURRENCY, effective_from: at,
        changed_by: k === 0 ? null : adminUserID, created_at: at, updated_at: at,
      });
    });

    tables.products.add({
      id, sku, barcode: ean13('899', index + 1), name, description: `${item} by ${brand}. Sold per ${leaf.unit}; wholesale cartons on request.`,
      category_id: categoryID, tags, active, price_minor: priceMinor, cost_minor: costMinor, currency: CURRENCY, unit: leaf.unit,
      created_at: iso(createdMs), updated_at: iso(updatedMs),
    });

    const variants: DemoVariant[] = [];
    if (hasVariants) {
      const labels = sizedVariants ? leaf.sizes.slice(0, random.int(2, leaf.sizes.length)) : random.sample(leaf.colours ?? [], random.int(2, 3));
      labels.forEach((label, k) => {
        const variantID = random.uuid();
        const ownPrice = sizedVariants && k > 0 ? roundPrice(basePrice * sizeMultipliers[k]!) : null;
        const stamp = iso(createdMs);
        tables.variants.add({
          id: variantID, product_id: id, sku: `${sku}-${k + 1}`, barcode: ean13('898', ++variantSerial),
          size: sizedVariants ? label : null, colour: sizedVariants ? null : label, price_minor: ownPrice, active: true,
          created_at: stamp, updated_at: stamp,
        });
        variants.push({ id: variantID, sku: `${sku}-${k + 1}`, label, priceMinor: ownPrice ?? priceMinor });
      });
    }

    if (random.chance(0.7)) {
      const stamp = iso(createdMs);
      tables.images.add({ id: random.uuid(), product_id: id, url: `/images/${sku}.jpg`, alt: name, sort_order: 0, created_at: stamp, updated_at: stamp });
      if (random.chance(0.2)) {
        tables.images.add({ id: random.uuid(), product_id: id, url: `/images/${sku}-2.jpg`, alt: `${name}, back of pack`, sort_order: 1, created_at: stamp, updated_at: stamp });
      }
    }
    products.push({ id, sku, name, active, priceMinor, costMinor, variants });
  }
  return products;
}
