export { PROTOCOL_VERSION, Header } from './version.ts';
export { errorCatalogue, statusOf, type ErrorCode } from './errors.ts';
export { Currency, ErrorBody, IdParams, MoneyMinor, Page, PageQuery, Timestamp, Uuid } from './common.ts';
export * from './auth.ts';
export * from './catalog.ts';
export * from './inventory.ts';
export * from './orders.ts';
export * from './customers.ts';
export * from './agents.ts';
