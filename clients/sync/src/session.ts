/**
 * The device's login: an access token for requests and a rotating refresh token, kept in the
 * local store so the app works after a restart and refreshes on reconnect. A refresh the server
 * refuses (expired, logged out) ends the session: the app must ask the user to log in again. If an
 * administrator revoked the device (or disabled the account), the device must also forget what it
 * synced: `onEnded` hears a DeviceRevokedError.
 */
import type { Actor } from '@niaga/mutators';
import { errorBody } from './error-body.ts';
import { withExclusiveLock } from './leader-lock.ts';
import type { LocalStore } from './local-store.ts';

export interface SessionTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

export const SESSION_META_KEY = 'auth:session';

/**
 * How long a refresh waits for the server's answer: well under the server's grace for a refresh
 * token presented twice (REFRESH_REUSE_GRACE_SECONDS, 30 s), so that the retry of a request that
 * did reach the server is still taken for a retry, not for theft.
 */
const REFRESH_TIMEOUT_MS = 15_000;

/** The server refused the refresh token: only a new login helps. */
export class SessionExpiredError extends Error {
  override readonly name: string = 'SessionExpiredError';
  readonly code: 'SESSION_EXPIRED' | 'DEVICE_REVOKED' = 'SESSION_EXPIRED';
}

/** The refresh endpoint answered, but not with a new token pair (a 5xx, a proxy's page): the session may be fine; try again later. */
export class RefreshFailedError extends Error {
  override readonly name = 'RefreshFailedError';
  readonly code = 'REFRESH_FAILED';
}

/** An administrator revoked this device, or disabled the account: its synced data must go. */
export class DeviceRevokedError extends SessionExpiredError {
  override readonly name = 'DeviceRevokedError';
  override readonly code = 'DEVICE_REVOKED';
}

/** A login as someone else than the user whose data and pending changes the device holds. */
export class DifferentUserError extends Error {
  override readonly name = 'DifferentUserError';
  readonly code = 'DIFFERENT_USER';
}

/**
 * What the store keeps: the tokens (gone when the session ends), who the device acts as (kept, so
 * it works offline), and whether the server said the device was revoked (so that its data is
 * deleted even if the app stops before it was).
 */
interface SavedSession {
  readonly tokens: SessionTokens | null;
  readonly actor: Actor;
  readonly revoked?: true;
}

export interface SessionOptions {
  readonly serverURL: string;
  readonly store: LocalStore;
  readonly fetch: typeof fetch;
  /** The server refused the refresh token (whichever request found out). */
  readonly onEnded?: (error: SessionExpiredError) => void;
  /** A refresh with no whole answer by then is given up as a network failure, which its caller retries. Default 15 s. */
  readonly refreshTimeoutMs?: number;
}

export class Session {
  private refreshing: Promise<void> | undefined;
  /**
   * The refresh token the store held when this session last read or wrote it. A store holding
   * another one was written by another tab (a newer pair); one still holding this while ours
   * differs missed our last save (disk full), and ours is the newer.
   */
  private inStore: string | undefined;

  private constructor(
    private tokens: SessionTokens | undefined,
    private claims: Actor | undefined,
    private revokedMark: boolean,
    private readonly options: SessionOptions,
  ) {}

  /** The server said DEVICE_REVOKED (now, or before a restart that came before the deletion): the device's data must go. */
  get revoked(): boolean {
    return this.revokedMark;
  }

  static async load(options: SessionOptions, given?: SessionTokens): Promise<Session> {
    const saved = await options.store.transaction((tx) => tx.getMeta<SavedSession>(SESSION_META_KEY));
    if (saved?.revoked) return new Session(undefined, undefined, true, options);
    const session = new Session(saved?.tokens ?? undefined, saved?.actor, false, options);
    session.inStore = saved?.tokens?.refreshToken;
    if (given) await session.replace(given);
    return session;
  }

  /** The user of the last login (kept after the session ends), if any. */
  get knownActor(): Actor | undefined {
    return this.claims;
  }

  get loggedIn(): boolean {
    return this.tokens !== undefined;
  }

  /** The `Authorization` header value; throws SessionExpiredError when logged out. */
  authorization(): string {
    if (!this.tokens) throw new SessionExpiredError('Not logged in on this device: log in to sync');
    return `Bearer ${this.tokens.accessToken}`;
  }

  /**
   * Who this device acts as: the access token's claims (read without verifying: the server
   * verifies), kept after the session ends so the device goes on working offline.
   */
  actor(): Actor {
    if (!this.claims) throw new SessionExpiredError('Nobody has logged in on this device yet');
    return this.claims;
  }

  /** Gets a new token pair with the refresh token; concurrent callers share one request. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /**
   * A new login (after SessionExpiredError). Another user's login is refused while this device
   * still holds the previous user's data and mutations (they would be sent in the wrong name).
   */
  async replace(tokens: SessionTokens): Promise<void> {
    const claims = decodeClaims(tokens.accessToken);
    if (this.claims && this.claims.sub !== claims.sub) {
      throw new DifferentUserError('This device holds another user’s data and pending changes: log in as that user, or reset the device’s local database first');
    }
    await this.save(tokens);
  }

  /** The session ended: requests stop until a new login; who the device acts as is kept. */
  async end(): Promise<void> {
    this.tokens = undefined;
    await this.options.store.transaction((tx) => tx.setMeta(SESSION_META_KEY, this.claims ? { tokens: null, actor: this.claims } : undefined));
  }

  /** The device was revoked: nobody is logged in and nobody is remembered (the caller clears the store). */
  forget(): void {
    this.tokens = undefined;
    this.claims = undefined;
  }

  /**
   * Refreshes in turn with the other tabs of this browser (a Web Lock; in Node, the other clients
   * of this process), and first takes what the store holds: another tab that led for a while has
   * rotated the refresh token this one loaded at start, and presenting the spent one would revoke
   * the device's session for theft.
   */
  private doRefresh(): Promise<void> {
    return withExclusiveLock(`@niaga/sync/session-refresh:${this.options.serverURL}`, () => this.refreshFromStore());
  }

  private async refreshFromStore(): Promise<void> {
    if (!this.tokens) throw new SessionExpiredError('Not logged in on this device: log in to sync');
    const saved = await this.options.store.transaction((tx) => tx.getMeta<SavedSession>(SESSION_META_KEY));
    if (saved?.tokens && saved.tokens.refreshToken !== this.tokens.refreshToken && saved.tokens.refreshToken !== this.inStore) {
      // Newer than ours: the caller tries again with its access token (and refreshes with it if that expired too).
      this.inStore = saved.tokens.refreshToken;
      this.tokens = { accessToken: saved.tokens.accessToken, refreshToken: saved.tokens.refreshToken };
      this.claims = decodeClaims(saved.tokens.accessToken);
      return;
    }
    if (saved && !saved.tokens) {
      // Another tab heard the session end (or the device revoked) and said so in the store.
      this.tokens = undefined;
      this.revokedMark ||= saved.revoked === true;
      const ended = endedError(saved.revoked === true);
      this.options.onEnded?.(ended);
      throw ended;
    }
    const response = await this.post(this.tokens.refreshToken);
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      const { code } = await errorBody(response);
      if (code === 'DEVICE_REVOKED') {
        // Remembered before anything else, in the store: the deletion happens even after a restart.
        this.tokens = undefined;
        this.revokedMark = true;
        await this.options.store.transaction((tx) => tx.setMeta(SESSION_META_KEY, { tokens: null, actor: this.claims, revoked: true }));
      } else await this.end();
      const ended = endedError(code === 'DEVICE_REVOKED');
      this.options.onEnded?.(ended);
      throw ended;
    }
    if (!response.ok) throw new RefreshFailedError(`Token refresh failed with HTTP ${response.status}`);
    const body = (await response.json().catch(() => ({}))) as Partial<SessionTokens>;
    if (typeof body?.accessToken !== 'string' || typeof body.refreshToken !== 'string') throw new RefreshFailedError('Token refresh answered without a token pair');
    await this.save({ accessToken: body.accessToken, refreshToken: body.refreshToken });
  }

  /**
   * The refresh request, its answer read whole within the refresh timeout. One that a flaky network
   * leaves hanging would hold the lock, and with it the other tabs' refreshes and every stream and
   * push waiting on one, for as long as it hangs.
   */
  private async post(refreshToken: string): Promise<Response> {
    const controller = new AbortController();
    const timeoutMs = this.options.refreshTimeoutMs ?? REFRESH_TIMEOUT_MS;
    // A TypeError naming the network, as fetch's own failure is: callers take it for offline and try again later.
    const timer = setTimeout(() => controller.abort(new TypeError(`The network did not answer the token refresh within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    try {
      const response = await this.options.fetch(`${this.options.serverURL}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken }),
        signal: controller.signal,
      });
      const text = await response.text();
      return new Response(text === '' ? null : text, { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (error) {
      throw controller.signal.aborted ? (controller.signal.reason as Error) : error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async save(tokens: SessionTokens): Promise<void> {
    this.tokens = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
    this.claims = decodeClaims(tokens.accessToken);
    const saved: SavedSession = { tokens: this.tokens, actor: this.claims };
    await this.options.store.transaction((tx) => tx.setMeta(SESSION_META_KEY, saved));
    this.inStore = tokens.refreshToken;
  }
}

function endedError(deviceRevoked: boolean): SessionExpiredError {
  return deviceRevoked
    ? new DeviceRevokedError('An administrator revoked this device (or disabled the account): its synced data and unsent changes are deleted')
    : new SessionExpiredError('The session ended (expired or logged out): log in again; pending changes are kept');
}

function decodeClaims(token: string): Actor {
  const payload = token.split('.')[1];
  if (!payload) throw new SessionExpiredError('The access token is malformed: log in again');
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (char) => char.charCodeAt(0)))) as Record<string, unknown>;
  const text = (key: string) => (typeof claims[key] === 'string' ? claims[key] : null);
  return { sub: String(claims.sub), role: claims.role as Actor['role'], warehouse_id: text('warehouse_id'), territory_id: text('territory_id'), agent_id: text('agent_id'), customer_id: text('customer_id') };
}
