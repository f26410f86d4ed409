/** DB columns are snake_case; the REST API speaks camelCase. */
export const toCamel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const toSnake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function rowToEntity(row: Record<string, unknown>): Record<string, unknown> {
  const entity: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) entity[toCamel(key)] = value instanceof Date ? value.toISOString() : value;
  return entity;
}
