export { catalogPlugin } from './plugin.ts';
export { findProductsForSale, type ProductForSale } from './product-lookup.ts';
