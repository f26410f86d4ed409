/**
 * The shapes live requests wait on, each with its own log of recent changes: as the feed takes in
 * a transaction, each shape it concerns gets that transaction's messages, judged and serialised
 * once, however many clients read the shape and at whatever offsets (Electric's log per shape,
 * in memory). A live read is then a slice of its shape's log. Shapes alike in columns and replica
 * mode share the very message strings, so the memory is about one copy per change. Each log keeps
 * its newest `maxMessages` messages (whole transactions), so a client that fell behind, but not by
 * more than that, still reads from memory; the feed bounds them together too (ChangeFeed).
 */
import { entryMessages, membership, type ChangeMessage, type Membership } from './change-messages.ts';
import type { ShapeDefinition } from './shape-definition.ts';
import { shapeIndexKeys, ShapeIndex } from './shape-index.ts';
import type { TailEntry } from './tail-index.ts';

/** One transaction's messages for one shape, as JSON, the last marked `last`. */
export interface ShapeTransaction {
  readonly lsn: bigint;
  readonly xid: bigint;
  readonly messages: readonly string[];
}

export class LiveShape {
  /** In lsn order: every transaction with a message for this shape, after `from`. */
  readonly transactions: ShapeTransaction[] = [];
  /** When a request last read or waited on it (Date.now()). */
  usedAt = Date.now();
  /** How many messages `transactions` hold. */
  messageCount = 0;
  /** Messages are shared with other shapes of the same columns and replica mode. */
  readonly rendering: string;

  constructor(
    readonly shape: ShapeDefinition,
    /** The log holds this shape's every change after this lsn. */
    public from: bigint,
  ) {
    this.rendering = `${shape.table.name}\u0000${shape.replica}\u0000${shape.columns.map((column) => column.name).join('\u0000')}`;
  }

  /** Index of the first transaction after `lsn`. */
  firstAfter(lsn: bigint): number {
    let low = 0;
    let high = this.transactions.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.transactions[middle]!.lsn <= lsn) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Appends a transaction, then drops the oldest whole ones while over `maxMessages` (the newest always stays). */
  append(transaction: ShapeTransaction, maxMessages: number): void {
    this.transactions.push(transaction);
    this.messageCount += transaction.messages.length;
    let drop = 0;
    let kept = this.messageCount;
    while (drop < this.transactions.length - 1 && kept > maxMessages) kept -= this.transactions[drop++]!.messages.length;
    if (drop > 0) this.dropFirst(drop);
  }

  /** Forgets the transactions at or below `lsn`: the log starts there at the earliest. */
  dropThrough(lsn: bigint): void {
    const count = this.firstAfter(lsn);
    if (count > 0) this.dropFirst(count);
    if (lsn > this.from) this.from = lsn;
  }

  private dropFirst(count: number): void {
    // The log still holds every change after the last transaction it lets go.
    this.from = this.transactions[count - 1]!.lsn;
    for (const dropped of this.transactions.splice(0, count)) this.messageCount -= dropped.messages.length;
  }
}

/** One entry's messages for one kind of rendering and membership, as JSON, and the last one marked `last`. */
interface Rendered {
  readonly json: string[];
  readonly last: ChangeMessage | undefined;
  lastJson?: string;
}

export class LiveShapes {
  private readonly byHash = new Map<string, LiveShape>();
  private readonly index = new ShapeIndex<LiveShape>();
  /** Messages all the logs hold (a message shared by several shapes counts once per shape). */
  totalMessages = 0;

  /** `maxMessages`: how many messages each shape's log keeps at most (whole transactions; at least the newest). */
  constructor(private readonly maxMessages = 20_000) {}

  get size(): number {
    return this.byHash.size;
  }

  get(hash: string): LiveShape | undefined {
    return this.byHash.get(hash);
  }

  /** The shape's live log, started at `from` (the feed's position) if it has none. */
  open(shape: ShapeDefinition, from: bigint): LiveShape {
    let live = this.byHash.get(shape.hash);
    if (!live) {
      live = new LiveShape(shape, from);
      this.byHash.set(shape.hash, live);
      this.index.add(live, shape.table.name, shapeIndexKeys(shape));
    }
    live.usedAt = Date.now();
    return live;
  }

  /** Appends one whole transaction (entries in log order) to every live shape it has messages for, and returns those shapes. */
  append(transaction: readonly TailEntry[]): LiveShape[] {
    const first = transaction[0];
    if (!first) return [];
    const concerned = new Map<LiveShape, TailEntry[]>();
    for (const entry of transaction) {
      for (const live of this.index.candidates(entry.table, entry.oldRow, entry.newRow)) {
        const entries = concerned.get(live);
        if (entries) entries.push(entry);
        else concerned.set(live, [entry]);
      }
    }
    const rendered = new Map<TailEntry, Map<string, Rendered>>();
    const render = (live: LiveShape, entry: TailEntry, judged: Membership): Rendered => {
      const key = `${live.rendering}\u0000${judged.wasIn}\u0000${judged.isIn}`;
      const byKey = rendered.get(entry) ?? new Map<string, Rendered>();
      rendered.set(entry, byKey);
      let result = byKey.get(key);
      if (!result) {
        const messages = entryMessages(live.shape, entry, judged);
        result = { json: messages.map((message) => JSON.stringify(message)), last: messages.at(-1) };
        byKey.set(key, result);
      }
      return result;
    };
    const appended: LiveShape[] = [];
    for (const [live, entries] of concerned) {
      const parts: Rendered[] = [];
      for (const entry of entries) {
        const judged = membership(live.shape, entry);
        if (!judged.wasIn && !judged.isIn) continue;
        const part = render(live, entry, judged);
        if (part.json.length > 0) parts.push(part);
      }
      const final = parts.at(-1);
      if (!final) continue;
      final.lastJson ??= JSON.stringify({ ...final.last!, headers: { ...final.last!.headers, last: true } });
      const messages = parts.flatMap((part) => (part === final ? [...part.json.slice(0, -1), final.lastJson!] : part.json));
      const before = live.messageCount;
      live.append({ lsn: first.lsn, xid: first.xid, messages }, this.maxMessages);
      this.totalMessages += live.messageCount - before;
      appended.push(live);
    }
    return appended;
  }

  /** Every log forgets what it holds at or below `lsn`. */
  dropThrough(lsn: bigint): void {
    for (const live of this.byHash.values()) {
      const before = live.messageCount;
      live.dropThrough(lsn);
      this.totalMessages += live.messageCount - before;
    }
  }

  /** Forgets the shapes `keep` says no to (no request has used them for a while). */
  forgetUnless(keep: (live: LiveShape) => boolean): void {
    for (const [hash, live] of this.byHash) {
      if (keep(live)) continue;
      this.byHash.delete(hash);
      this.index.remove(live);
      this.totalMessages -= live.messageCount;
    }
  }
}
