import type { AccessClaims } from '@niaga/protocol';
import { Type } from 'typebox';
import { allRows, type RowScope } from '../shared/resource.ts';

export const uuidFilter = (column: string) => ({ kind: 'eq', column, schema: Type.String({ format: 'uuid' }) }) as const;

/** Admins read every row; an agent reads the rows whose `column` holds their agent_id claim; others none. */
export const adminOrOwnAgent =
  (column: string) =>
  (user: AccessClaims): RowScope | 'deny' => {
    if (user.role === 'admin') return allRows;
    if (user.role === 'agent' && user.agent_id) return { [column]: user.agent_id };
    return 'deny';
  };
