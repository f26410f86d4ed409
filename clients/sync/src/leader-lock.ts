/**
 * Multi-tab leadership. The tabs of one app on one device share its local database; only one of
 * them, the leader, should stream shapes and push the queue (two pushers would race on the same
 * client's mutation ids, two streams would commit the same changes twice). The others read the
 * store, run mutators into the shared queue and tell the leader with `tabChannel`.
 *
 * In a browser the leader holds an exclusive Web Lock: the browser releases it when the tab
 * closes, crashes or navigates away, and grants it to the next tab waiting. Where there are no Web
 * Locks (Node 20, older runtimes) the clients of one process over one store take turns the same
 * way, through locks held in the process (`processLocks`).
 */

/** Leadership among the tabs sharing one database. */
export interface LeaderLock {
  /**
   * Resolves once this tab is the leader (at once if it already is); the first call puts the tab
   * in the queue. `signal` only stops this wait (rejecting with its reason): call release() to
   * leave the queue, or the tab becomes leader later all the same.
   */
  whenLeader(signal?: AbortSignal): Promise<void>;
  isLeader(): boolean;
  /** Gives leadership up, or leaves the queue, so the next tab takes over; whenLeader() queues again. */
  release(): Promise<void>;
}

/** The part of the Web Locks API used here (`navigator.locks`), so Node code type-checks without the DOM. */
export interface LockManagerLike {
  request(name: string, options: { mode: 'exclusive'; signal: AbortSignal }, callback: (lock: unknown) => Promise<void>): Promise<unknown>;
}

function globalLocks(): LockManagerLike | undefined {
  return (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
}

/** Leadership held as the exclusive Web Lock `name` until release() or the tab goes away. */
export function webLocksLeader(name: string, locks: LockManagerLike | undefined = globalLocks()): LeaderLock {
  if (!locks) throw new Error('Web Locks (navigator.locks) are not available here: use alwaysLeader() or defaultLeaderLock()');
  const lockManager = locks;
  let held = false;
  /** The current turn in the queue: from the first whenLeader() to release(). */
  let turn: Turn | undefined;

  function enqueue(): Turn {
    const controller = new AbortController();
    let letGo!: () => void;
    const holding = new Promise<void>((resolve) => (letGo = resolve));
    let granted!: () => void;
    let refused!: (reason: unknown) => void;
    const acquired = new Promise<void>((resolve, reject) => {
      granted = resolve;
      refused = reject;
    });
    // Left unobserved, a turn released before it was granted would report an unhandled rejection.
    acquired.catch(() => undefined);
    const mine: Turn = {
      acquired,
      done: lockManager
        .request(name, { mode: 'exclusive', signal: controller.signal }, async () => {
          // Granted just as release() withdrew the request: hand it straight on.
          if (turn !== mine) return refused(new Error(`Released the lock ${name} before it was granted`));
          held = true;
          granted();
          await holding;
        })
        .catch((error: unknown) => refused(error))
        .finally(() => {
          if (turn === mine) {
            held = false;
            turn = undefined;
          }
        }),
      leave: () => {
        controller.abort(new Error(`Left the queue for the lock ${name}`));
        letGo();
      },
    };
    return mine;
  }

  return {
    whenLeader(signal) {
      turn ??= enqueue();
      return signal ? untilAborted(turn.acquired, signal) : turn.acquired;
    },
    isLeader: () => held,
    async release() {
      const current = turn;
      if (!current) return;
      turn = undefined;
      held = false;
      current.leave();
      await current.done;
    },
  };
}

interface Turn {
  /** Resolves when the lock is granted; rejects if the turn ends first. */
  readonly acquired: Promise<void>;
  /** Settles once the lock is let go (or the request withdrawn). */
  readonly done: Promise<unknown>;
  readonly leave: () => void;
}

/** A single process (Node, a test): leader as soon as it asks, until it releases. */
export function alwaysLeader(): LeaderLock {
  let held = false;
  return {
    async whenLeader(signal) {
      signal?.throwIfAborted();
      held = true;
    },
    isLeader: () => held,
    async release() {
      held = false;
    },
  };
}

/**
 * Exclusive locks among the code of this process, granted in the order asked, as Web Locks grants
 * them among tabs: a request withdrawn (its signal aborted) before its turn rejects with the
 * signal's reason; one granted holds until its callback's promise settles.
 */
export function inProcessLocks(): LockManagerLike {
  const queues = new Map<string, { held: boolean; waiting: (() => void)[] }>();
  return {
    request(name, { signal }, callback) {
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason as Error);
        let queue = queues.get(name);
        if (!queue) queues.set(name, (queue = { held: false, waiting: [] }));
        const lockQueue = queue;
        const next = () => {
          if (lockQueue.held) return;
          const grant = lockQueue.waiting.shift();
          if (grant) grant();
          else if (queues.get(name) === lockQueue) queues.delete(name);
        };
        const withdraw = () => {
          const index = lockQueue.waiting.indexOf(grant);
          if (index < 0) return;
          lockQueue.waiting.splice(index, 1);
          reject(signal.reason as Error);
          next();
        };
        function grant() {
          signal.removeEventListener('abort', withdraw);
          lockQueue.held = true;
          Promise.resolve()
            .then(() => callback({}))
            .then(resolve, reject)
            .finally(() => {
              lockQueue.held = false;
              next();
            });
        }
        signal.addEventListener('abort', withdraw, { once: true });
        lockQueue.waiting.push(grant);
        next();
      });
    },
  };
}

/** The locks of this process, for runtimes without Web Locks: clients over one store in one process take turns. */
const processLocks = inProcessLocks();

/**
 * Runs `work` holding the exclusive lock `name`, in turn with everyone else asking for it: the
 * tabs of a browser where there are Web Locks, else the code of this process.
 */
export async function withExclusiveLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  let result!: T;
  await (globalLocks() ?? processLocks).request(name, { mode: 'exclusive', signal: new AbortController().signal }, async () => {
    result = await work();
  });
  return result;
}

/**
 * Web Locks where the runtime has them (browsers, workers), else locks held in this process: two
 * clients over one store (same client group) in one Node process do not both stream and push.
 */
export function defaultLeaderLock(name: string): LeaderLock {
  return webLocksLeader(name, globalLocks() ?? processLocks);
}

function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

/** What tabs tell each other. */
export type TabMessage = 'pending-changed' | 'revoked';

const tabMessages: ReadonlySet<unknown> = new Set<TabMessage>(['pending-changed', 'revoked']);

/**
 * A note to the other tabs of the same origin (never to this one): a follower that queued a
 * mutation posts 'pending-changed' so the leader's push loop wakes at once; the leader posts
 * 'revoked' once it has deleted a revoked device's data.
 */
export interface TabChannel {
  post(message: TabMessage): void;
  subscribe(listener: (message: TabMessage) => void): () => void;
  close(): void;
}

/** The part of BroadcastChannel both the DOM and Node provide. */
interface BroadcastChannelLike {
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

/** Over BroadcastChannel `name`; where there is none, a channel that carries nothing (a single process has no other tabs). */
export function tabChannel(name: string): TabChannel {
  const BroadcastChannelClass = (globalThis as unknown as { BroadcastChannel?: new (name: string) => BroadcastChannelLike }).BroadcastChannel;
  const listeners = new Set<{ readonly listener: (message: TabMessage) => void }>();
  let channel: BroadcastChannelLike | undefined = BroadcastChannelClass ? new BroadcastChannelClass(name) : undefined;
  if (channel) {
    channel.onmessage = (event) => {
      if (!tabMessages.has(event.data)) return;
      for (const { listener } of [...listeners]) listener(event.data as TabMessage);
    };
  }
  return {
    post: (message) => channel?.postMessage(message),
    subscribe(listener) {
      const entry = { listener };
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    close() {
      listeners.clear();
      if (!channel) return;
      channel.onmessage = null;
      channel.close();
      channel = undefined;
    },
  };
}
