import type { SqlValue } from '@niaga/db';

/** Quotes an identifier we wrote (table, column); client text never reaches here. */
export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(name)) throw new Error(`Refusing unsafe identifier ${name}`);
  return name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

/** Collects parameters and hands out $n placeholders, so SQL text never carries values. */
export class Params {
  readonly values: SqlValue[] = [];
  add(value: unknown): string {
    this.values.push(value as SqlValue);
    return `$${this.values.length}`;
  }
}
