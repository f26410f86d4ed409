/**
 * pgoutput's INSERT, UPDATE and DELETE messages (protocol version 1), read straight from the
 * message's bytes: each column's text is one string sliced from the buffer, and each row one
 * object without a prototype. The library's reader makes a Buffer view and a TextDecoder call per
 * value and copies every tuple, which made it capture's largest source of garbage.
 * https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 */
import type { Pgoutput } from 'pg-logical-replication';
import { CaptureError, CaptureErrorCode } from './capture-error.ts';

export const changeTags = { insert: 0x49, update: 0x55, delete: 0x44 } as const;

const kind = { text: 0x74, null: 0x6e, unchangedToast: 0x75, binary: 0x62 } as const;
const submessage = { key: 0x4b, old: 0x4f, new: 0x4e } as const;

type Tuple = Record<string, string | null | undefined>;

class ChangeReader {
  offset = 1; // after the message's tag

  constructor(private readonly buffer: Buffer) {}

  private need(bytes: number): void {
    if (this.offset + bytes > this.buffer.length) throw new CaptureError(CaptureErrorCode.protocol, 'A change message ended early');
  }

  byte(): number {
    this.need(1);
    return this.buffer[this.offset++]!;
  }

  int16(): number {
    this.need(2);
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** TupleData; an unchanged TOAST value takes `unchanged`'s value for that column (undefined without one). */
  tuple(relation: Pgoutput.MessageRelation, unchanged: Tuple | null): Tuple {
    const count = this.int16();
    if (count > relation.columns.length) {
      throw new CaptureError(CaptureErrorCode.protocol, `A change to ${relation.schema}.${relation.name} has ${count} columns, its relation ${relation.columns.length}`);
    }
    const tuple = Object.create(null) as Tuple;
    for (let index = 0; index < count; index++) {
      const name = relation.columns[index]!.name;
      const valueKind = this.byte();
      if (valueKind === kind.text) {
        const length = this.int32();
        this.need(length);
        const end = this.offset + length;
        // Exactly the bytes sent: unlike TextDecoder, toString keeps a leading U+FEFF, as col::text does.
        tuple[name] = this.buffer.toString('utf8', this.offset, end);
        this.offset = end;
      } else if (valueKind === kind.null) {
        tuple[name] = null;
      } else if (valueKind === kind.unchangedToast) {
        tuple[name] = unchanged?.[name];
      } else {
        // Binary values come only when asked for (the binary option), and capture never asks.
        throw new CaptureError(CaptureErrorCode.protocol, `Unexpected column value kind '${String.fromCharCode(valueKind)}' in a change to ${relation.schema}.${relation.name}`);
      }
    }
    return tuple;
  }
}

/**
 * The change message in `buffer` (its first byte one of changeTags), shaped as the library's
 * messages are; `relations` are the RELATION messages seen so far, by oid.
 */
export function readChange(buffer: Buffer, relations: ReadonlyMap<number, Pgoutput.MessageRelation>): Pgoutput.Message {
  const reader = new ChangeReader(buffer);
  const relationOid = reader.int32();
  const relation = relations.get(relationOid);
  if (!relation) throw new CaptureError(CaptureErrorCode.protocol, `A change to relation ${relationOid}, which was never described`);
  switch (buffer[0]) {
    case changeTags.insert: {
      expectSubmessage(reader.byte(), [submessage.new]);
      return { tag: 'insert', relation, new: reader.tuple(relation, null) };
    }
    case changeTags.update: {
      let key: Tuple | null = null;
      let old: Tuple | null = null;
      let next = expectSubmessage(reader.byte(), [submessage.key, submessage.old, submessage.new]);
      if (next !== submessage.new) {
        if (next === submessage.key) key = reader.tuple(relation, null);
        else old = reader.tuple(relation, null);
        next = expectSubmessage(reader.byte(), [submessage.new]);
      }
      return { tag: 'update', relation, key, old, new: reader.tuple(relation, old) };
    }
    default: {
      const which = expectSubmessage(reader.byte(), [submessage.key, submessage.old]);
      const tuple = reader.tuple(relation, null);
      return { tag: 'delete', relation, key: which === submessage.key ? tuple : null, old: which === submessage.old ? tuple : null };
    }
  }
}

function expectSubmessage(found: number, allowed: readonly number[]): number {
  if (!allowed.includes(found)) throw new CaptureError(CaptureErrorCode.protocol, `Unexpected part '${String.fromCharCode(found)}' in a change message`);
  return found;
}
