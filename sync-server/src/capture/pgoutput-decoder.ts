/**
 * pgoutput messages as the assembler wants them: column values as the exact text Postgres sent
 * (its type output function, in the replication session's settings), never parsed into JS values,
 * so the log holds the same text as `col::text` and as the embedded trigger capture.
 */
import { PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { CaptureError, CaptureErrorCode } from './capture-error.ts';
import { parseLsn } from './lsn.ts';
import { changeTags, readChange } from './pgoutput-changes.ts';
import type { AssemblerInput, TextRow } from './transaction-assembler.ts';

/**
 * The library's parser for everything but the changes, which readChange reads itself: each
 * column as the text Postgres sent. RELATION messages come first and in stream order, so the
 * relations seen so far are enough to read any change.
 */
export class RawTextPgoutputPlugin extends PgoutputPlugin {
  private readonly relations = new Map<number, Pgoutput.MessageRelation>();

  override parse(buffer: Buffer): Pgoutput.Message {
    const tag = buffer[0];
    if (tag === changeTags.insert || tag === changeTags.update || tag === changeTags.delete) return readChange(buffer, this.relations);
    const message = super.parse(buffer);
    if (message.tag === 'relation') this.relations.set(message.relationOid, message);
    return message;
  }
}

function tableOf(relation: Pgoutput.MessageRelation): string {
  return `${relation.schema}.${relation.name}`;
}

function textRow(tuple: Record<string, unknown> | null, table: string, which: 'old' | 'new'): TextRow {
  if (tuple === null) {
    throw new CaptureError(CaptureErrorCode.missingOldRow, `A change to ${table} arrived without its ${which} row; is REPLICA IDENTITY FULL set?`);
  }
  for (const column in tuple) {
    const value = tuple[column];
    if (value !== null && typeof value !== 'string') {
      // undefined: an unchanged TOAST value with no old row to take it from (replica identity not FULL).
      throw new CaptureError(CaptureErrorCode.missingOldRow, `Column ${column} of ${table} arrived without a text value; is REPLICA IDENTITY FULL set?`);
    }
  }
  // The library builds each tuple with no prototype, so a column named __proto__ is an ordinary
  // key: kept as it is, not copied (two rows a change, in the hottest loop of capture).
  if (Object.getPrototypeOf(tuple) === null) return tuple as TextRow;
  const row = Object.create(null) as Record<string, string | null>;
  for (const column of Object.keys(tuple)) row[column] = tuple[column] as string | null;
  return row;
}

function lsnOf(text: string | null, what: string): bigint {
  if (text === null) throw new CaptureError(CaptureErrorCode.protocol, `${what} without an LSN`);
  return parseLsn(text);
}

/** The assembler's input for a pgoutput message, or null for messages it does not need (type, origin, message). */
export function toAssemblerInput(message: Pgoutput.Message): AssemblerInput | null {
  switch (message.tag) {
    case 'begin':
      // The library reads the xid as a signed 32-bit integer.
      return { tag: 'begin', commitLsn: lsnOf(message.commitLsn, 'BEGIN'), xid: message.xid >>> 0 };
    case 'commit':
      return { tag: 'commit', commitLsn: lsnOf(message.commitLsn, 'COMMIT'), endLsn: lsnOf(message.commitEndLsn, 'COMMIT') };
    case 'relation':
      return { tag: 'relation', table: tableOf(message) };
    case 'insert': {
      const table = tableOf(message.relation);
      return { tag: 'insert', table, newRow: textRow(message.new, table, 'new') };
    }
    case 'update': {
      const table = tableOf(message.relation);
      return { tag: 'update', table, oldRow: textRow(message.old, table, 'old'), newRow: textRow(message.new, table, 'new') };
    }
    case 'delete': {
      const table = tableOf(message.relation);
      return { tag: 'delete', table, oldRow: textRow(message.old, table, 'old') };
    }
    case 'truncate':
      // The library looks relations up by oid; pgoutput sends each one's RELATION message first.
      return {
        tag: 'truncate',
        tables: message.relations.map((relation: Pgoutput.MessageRelation | undefined) => {
          if (!relation) throw new CaptureError(CaptureErrorCode.protocol, 'TRUNCATE of a relation that was never described');
          return tableOf(relation);
        }),
      };
    case 'type':
    case 'origin':
    case 'message':
      return null;
  }
}
