export { inventoryPlugin } from './plugin.ts';
