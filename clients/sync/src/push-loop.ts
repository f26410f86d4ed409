/**
 * Sends pending mutations to `POST /api/v1/sync/push`, oldest first, never twice once the server
 * acknowledged them (they stay queued until the device's `sync.clients` row confirms them).
 * Failures back off exponentially with jitter up to a ceiling; `wake()` (a new mutation, the
 * network back) pushes at once.
 */
import { Alarm, backoffDelay, Header, MAX_MUTATIONS_PER_PUSH, type BackoffPolicy, type PushRequest, type PushResponse } from '@niaga/protocol';
import { errorBody } from './error-body.ts';
import { LocalStoreError, type LocalStore, type PendingMutation } from './local-store.ts';
import { RefreshFailedError, SessionExpiredError, type Session } from './session.ts';

export interface PushLoopOptions {
  readonly serverURL: string;
  readonly clientGroupID: string;
  readonly store: LocalStore;
  readonly session: Session;
  readonly fetch: typeof fetch;
  readonly backoff: BackoffPolicy;
  /** Reports each attempt's result (for status). */
  readonly onResult: (result: PushResult) => void;
  /** A push with no whole answer by then is given up (as offline) and tried again after a backoff. Default 30 s. */
  readonly pushTimeoutMs?: number;
}

export type PushResult =
  | { readonly kind: 'pushed'; readonly count: number }
  | { readonly kind: 'offline'; readonly error: unknown }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string }
  | { readonly kind: 'session-expired'; readonly error: SessionExpiredError }
  | { readonly kind: 'update-needed'; readonly message: string };

const IDLE_MS = 60_000;

export class PushLoop {
  private readonly alarm = new Alarm();
  private stopped = false;
  private running: Promise<void> | undefined;
  /** The highest id per client the server has acknowledged in this process. */
  private readonly acknowledged = new Map<string, number>();
  private failures = 0;
  private blocked = false;
  /** The push on the wire: stop() ends it rather than wait for a server that may never answer. */
  private inFlight: AbortController | undefined;

  constructor(private readonly options: PushLoopOptions) {}

  start(): void {
    this.stopped = false;
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.inFlight?.abort(new Error('The push loop stopped'));
    this.alarm.wake(false);
    await this.running;
    this.running = undefined;
  }

  /** Push now (a new mutation, back online, a new login). */
  wake(): void {
    this.blocked = false;
    this.failures = 0;
    this.alarm.wake();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.blocked) {
        await this.pause(IDLE_MS);
        continue;
      }
      // The queue could not be read (the store is closed, deleted, failing): its own code, for status.
      const result = await this.pushOnce().catch((error: unknown): PushResult => (error instanceof LocalStoreError ? { kind: 'failed', code: error.code, message: `Pending changes cannot be read: ${error.message}` } : { kind: 'failed', code: 'PUSH_FAILED', message: String(error) }));
      if (result) this.options.onResult(result);
      if (!result) await this.pause(IDLE_MS);
      else if (result.kind === 'pushed') this.failures = 0;
      else if (result.kind === 'session-expired' || result.kind === 'update-needed') this.blocked = true;
      else await this.pause(backoffDelay(this.options.backoff, ++this.failures));
    }
  }

  /** Sleeps until woken or `ms` pass; not at all once stopped (a stop during a push woke no sleep). */
  private async pause(ms: number): Promise<void> {
    if (!this.stopped) await this.alarm.sleep(ms);
  }

  /** One push of what is unacknowledged; undefined when there is nothing to push. */
  private async pushOnce(): Promise<PushResult | undefined> {
    const pending = await this.options.store.transaction((tx) => tx.listPending());
    const unsent = pending.filter((mutation) => mutation.id > (this.acknowledged.get(mutation.clientID) ?? 0)).slice(0, MAX_MUTATIONS_PER_PUSH);
    if (unsent.length === 0) return undefined;
    const body: PushRequest = {
      pushVersion: 1,
      clientGroupID: this.options.clientGroupID,
      schemaVersion: '1',
      mutations: unsent.map((mutation) => ({ clientID: mutation.clientID, id: mutation.id, name: mutation.name, args: mutation.args, timestamp: Date.parse(mutation.createdAt) })),
    };
    let response: Response;
    try {
      response = await this.send(body);
      if (response.status === 401) {
        await this.options.session.refresh();
        response = await this.send(body);
      }
    } catch (error) {
      if (error instanceof SessionExpiredError) return { kind: 'session-expired', error };
      // The server answered the refresh, just not well: not offline.
      if (error instanceof RefreshFailedError) return { kind: 'failed', code: error.code, message: `${error.message}; pending changes are kept and pushed later` };
      // The refreshed tokens could not be saved (a full disk): they are used all the same; not offline either.
      if (error instanceof LocalStoreError) return { kind: 'failed', code: error.code, message: `The refreshed session could not be saved: ${error.message}` };
      return { kind: 'offline', error };
    }
    if (response.status === 401) return { kind: 'session-expired', error: new SessionExpiredError('The server refused the refreshed session: log in again') };
    if (!response.ok) {
      const { code, message } = await errorBody(response);
      return { kind: 'failed', code: code ?? `HTTP_${response.status}`, message: message ?? `Push failed with HTTP ${response.status}` };
    }
    const answer = (await response.json().catch(() => undefined)) as PushResponse | undefined;
    if (!answer || typeof answer !== 'object') return { kind: 'failed', code: 'BAD_RESPONSE', message: 'The server answered the push with something that is not JSON' };
    if (answer.error === 'VersionNotSupported') return { kind: 'update-needed', message: `The server no longer accepts this app's ${answer.versionType ?? 'push'} version: update the app` };
    return this.acknowledge(unsent, answer.lastMutationIDs ?? {});
  }

  /**
   * Takes in what the server says it has processed, as far as this push went: an id past what was
   * sent would keep the later mutations from ever being pushed. An answer that acknowledges none of
   * them is a failure (backed off), not a success to push again at once, in a loop.
   */
  private acknowledge(sent: readonly PendingMutation[], answered: Readonly<Record<string, number>>): PushResult {
    const highestSent = new Map<string, number>();
    for (const mutation of sent) highestSent.set(mutation.clientID, Math.max(mutation.id, highestSent.get(mutation.clientID) ?? 0));
    let advanced = false;
    for (const [clientID, highest] of highestSent) {
      const id = answered[clientID];
      if (typeof id !== 'number' || !Number.isSafeInteger(id)) continue;
      const before = this.acknowledged.get(clientID) ?? 0;
      const now = Math.min(id, highest);
      if (now > before) {
        this.acknowledged.set(clientID, now);
        advanced = true;
      }
    }
    if (!advanced) return { kind: 'failed', code: 'BAD_RESPONSE', message: `The server acknowledged none of the ${sent.length} pushed mutation(s); they are kept and pushed again later` };
    return { kind: 'pushed', count: sent.length };
  }

  /** One request, its answer read whole within the push timeout (a server may stall before or during the body). */
  private async send(body: PushRequest): Promise<Response> {
    const controller = new AbortController();
    this.inFlight = controller;
    const timeoutMs = this.options.pushTimeoutMs ?? 30_000;
    const timer = setTimeout(() => controller.abort(new Error(`The server did not answer the push within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    try {
      const response = await this.options.fetch(`${this.options.serverURL}/api/v1/sync/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: this.options.session.authorization(), [Header.deviceTime]: new Date().toISOString() },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      const text = await response.text();
      const nullBody = response.status === 204 || response.status === 205 || response.status === 304;
      return new Response(nullBody ? null : text, { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (error) {
      throw controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason : error;
    } finally {
      clearTimeout(timer);
      if (this.inFlight === controller) this.inFlight = undefined;
    }
  }
}
