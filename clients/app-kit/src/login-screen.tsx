/**
 * The login form. The first login needs the network; after it the device works offline until its
 * session is revoked. Logging in as another user is refused while the device holds the previous
 * user's data and unsent changes (they would be sent in the wrong name): the user may reset.
 */
import type { Role } from '@niaga/protocol';
import { DifferentUserError, type SessionTokens } from '@niaga/sync';
import { useState, type FormEvent } from 'react';

export interface LoginScreenProps {
  readonly appTitle: string;
  /** The role this app is for; other roles are told where to go. */
  readonly role: Role;
  readonly login: (tokens: SessionTokens) => Promise<void>;
  /** Shown when the device holds another user's data. */
  readonly onReset?: () => void;
  /** Prefilled (re-login after a session ended). */
  readonly email?: string;
  readonly notice?: string;
}

const appForRole: Record<Role, string> = { agent: '/agent/', warehouse: '/warehouse/', admin: 'the admin console', customer: 'the storefront' };

type Failure = { readonly message: string; readonly differentUser?: boolean };

async function requestTokens(email: string, password: string, role: Role): Promise<SessionTokens> {
  let response: Response;
  try {
    response = await fetch('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, deviceName: navigator.userAgent.slice(0, 200) }),
    });
  } catch {
    throw new Error('No connection: the first login on a device needs the network.');
  }
  const body = (await response.json().catch(() => ({}))) as { accessToken?: string; refreshToken?: string; user?: { role?: Role }; message?: string };
  if (response.status === 401) throw new Error('Wrong email or password.');
  if (response.status === 429) throw new Error('Too many attempts: wait a minute and try again.');
  if (!response.ok || !body.accessToken || !body.refreshToken) throw new Error(body.message ?? `The server could not log you in (HTTP ${response.status}).`);
  if (body.user?.role !== role) throw new Error(`This app is for ${role} accounts; ${email} is a ${body.user?.role ?? 'different'} account (use ${appForRole[body.user?.role ?? role]}).`);
  return { accessToken: body.accessToken, refreshToken: body.refreshToken };
}

export function LoginScreen(props: LoginScreenProps) {
  const [email, setEmail] = useState(props.email ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | undefined>(undefined);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setFailure(undefined);
    try {
      await props.login(await requestTokens(email.trim(), password, props.role));
    } catch (error) {
      setFailure({ message: error instanceof Error ? error.message : String(error), differentUser: error instanceof DifferentUserError });
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form onSubmit={(event) => void submit(event)} aria-label="Log in">
        <h1>{props.appTitle}</h1>
        {props.notice && <p className="notice">{props.notice}</p>}
        <label>
          Email
          <input name="email" type="email" autoComplete="username" required value={email} onChange={(event) => setEmail(event.target.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        {failure && (
          <p role="alert" className="error">
            {failure.message}
          </p>
        )}
        {failure?.differentUser && props.onReset && (
          <button type="button" className="danger" onClick={props.onReset}>
            Reset this device (deletes its data and unsent changes)
          </button>
        )}
      </form>
    </main>
  );
}
