/**
 * Sends pending mutations to `POST /api/v1/sync/push`, oldest first, never twice once the server
 * acknowledged them (they stay queued until the device's `sync.clients` row confirms them).
 * Failures back off exponentially with jitter up to a ceiling; `wake()` (a new mutation, the
 * network back) pushes at once.
 */
import { Alarm, backoffDelay, Header, MAX_MUTATIONS_PER_PUSH, type BackoffPolicy, type PushRequest, type PushResponse } from '@niaga/protocol';
import { errorBody } from './error-body.ts';
import type { LocalStore } from './local-store.ts';
import { SessionExpiredError, type Session } from './session.ts';

export interface PushLoopOptions {
  readonly serverURL: string;
  readonly clientGroupID: string;
  readonly store: LocalStore;
  readonly session: Session;
  readonly fetch: typeof fetch;
  readonly backoff: BackoffPolicy;
  /** Reports each attempt's result (for status). */
  readonly onResult: (result: PushResult) => void;
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

  constructor(private readonly options: PushLoopOptions) {}

  start(): void {
    this.stopped = false;
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
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
      const result = await this.pushOnce().catch((error: unknown) => ({ kind: 'failed', code: 'PUSH_FAILED', message: String(error) }) as const);
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
    for (const [clientID, id] of Object.entries(answer.lastMutationIDs ?? {})) this.acknowledged.set(clientID, Math.max(id, this.acknowledged.get(clientID) ?? 0));
    return { kind: 'pushed', count: unsent.length };
  }

  private send(body: PushRequest): Promise<Response> {
    return this.options.fetch(`${this.options.serverURL}/api/v1/sync/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: this.options.session.authorization(), [Header.deviceTime]: new Date().toISOString() },
      body: JSON.stringify(body),
    });
  }
}
