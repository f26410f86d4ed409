/**
 * The device's login: an access token for requests and a rotating refresh token, kept in the
 * local store so the app works after a restart and refreshes on reconnect. A refresh the server
 * refuses (revoked, expired) ends the session: the app must ask the user to log in again.
 */
import type { Actor } from '@niaga/mutators';
import type { LocalStore } from './local-store.ts';

export interface SessionTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

export const SESSION_META_KEY = 'auth:session';

/** The server refused the refresh token: only a new login helps. */
export class SessionExpiredError extends Error {
  override readonly name = 'SessionExpiredError';
  readonly code = 'SESSION_EXPIRED';
}

export class Session {
  private refreshing: Promise<void> | undefined;

  constructor(
    private tokens: SessionTokens | undefined,
    private readonly options: { readonly serverURL: string; readonly store: LocalStore; readonly fetch: typeof fetch },
  ) {}

  static async load(options: { serverURL: string; store: LocalStore; fetch: typeof fetch }, given?: SessionTokens): Promise<Session> {
    const session = new Session(given ?? (await options.store.transaction((tx) => tx.getMeta<SessionTokens>(SESSION_META_KEY))), options);
    if (given) await session.save(given);
    return session;
  }

  get loggedIn(): boolean {
    return this.tokens !== undefined;
  }

  /** The `Authorization` header value; throws SessionExpiredError when logged out. */
  authorization(): string {
    if (!this.tokens) throw new SessionExpiredError('Not logged in on this device: log in to sync');
    return `Bearer ${this.tokens.accessToken}`;
  }

  /** Who this device acts as (the access token's claims, read without verifying: the server verifies). */
  actor(): Actor {
    if (!this.tokens) throw new SessionExpiredError('Not logged in on this device: log in to sync');
    return decodeClaims(this.tokens.accessToken);
  }

  /** Gets a new token pair with the refresh token; concurrent callers share one request. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** A new login (after SessionExpiredError). */
  async replace(tokens: SessionTokens): Promise<void> {
    await this.save(tokens);
  }

  async clear(): Promise<void> {
    this.tokens = undefined;
    await this.options.store.transaction((tx) => tx.setMeta(SESSION_META_KEY, undefined));
  }

  private async doRefresh(): Promise<void> {
    if (!this.tokens) throw new SessionExpiredError('Not logged in on this device: log in to sync');
    const response = await this.options.fetch(`${this.options.serverURL}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: this.tokens.refreshToken }),
    });
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      await this.clear();
      throw new SessionExpiredError('The session ended (revoked or expired): log in again; pending changes are kept');
    }
    if (!response.ok) throw new Error(`Token refresh failed with HTTP ${response.status}`);
    const body = (await response.json()) as Partial<SessionTokens>;
    if (typeof body.accessToken !== 'string' || typeof body.refreshToken !== 'string') throw new Error('Token refresh answered without a token pair');
    await this.save({ accessToken: body.accessToken, refreshToken: body.refreshToken });
  }

  private async save(tokens: SessionTokens): Promise<void> {
    this.tokens = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
    await this.options.store.transaction((tx) => tx.setMeta(SESSION_META_KEY, this.tokens));
  }
}

function decodeClaims(token: string): Actor {
  const payload = token.split('.')[1];
  if (!payload) throw new SessionExpiredError('The access token is malformed: log in again');
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (char) => char.charCodeAt(0)))) as Record<string, unknown>;
  const text = (key: string) => (typeof claims[key] === 'string' ? claims[key] : null);
  return { sub: String(claims.sub), role: claims.role as Actor['role'], warehouse_id: text('warehouse_id'), territory_id: text('territory_id'), agent_id: text('agent_id'), customer_id: text('customer_id') };
}
