import type { Queryable } from '@niaga/db';
import { findProductsForSale } from '../catalog/product-lookup.ts';
import { DomainError } from '../shared/errors.ts';
import { findBin, findWarehouse } from './warehouse-lookup.ts';

/** Checks on the rows a body names, each failing as a 400 that points at the field. */

export async function requireWarehouse(db: Queryable, warehouseID: string, path: string): Promise<void> {
  if (!(await findWarehouse(db, warehouseID))) {
    throw new DomainError('REFERENCE_NOT_FOUND', `Warehouse ${warehouseID} does not exist`, { path, warehouseId: warehouseID });
  }
}

/** A bin must exist and sit in the warehouse the row belongs to. */
export async function requireBinIn(db: Queryable, binID: string, warehouseID: string, path: string): Promise<void> {
  const bin = await findBin(db, binID);
  if (!bin) throw new DomainError('REFERENCE_NOT_FOUND', `Bin ${binID} does not exist`, { path, binId: binID });
  if (bin.warehouse_id !== warehouseID) {
    throw new DomainError('VALIDATION_FAILED', `Bin ${bin.code} belongs to another warehouse`, [
      { in: 'body', path, message: 'must be a bin of the same warehouse' },
    ]);
  }
}

/** Every product must exist in the catalogue (active or not: stock of a retired product still moves). */
export async function requireProducts(db: Queryable, productIDs: readonly string[]): Promise<void> {
  const found = await findProductsForSale(db, productIDs);
  const missing = [...new Set(productIDs)].filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new DomainError('REFERENCE_NOT_FOUND', `Unknown product${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`, { productIds: missing });
  }
}
