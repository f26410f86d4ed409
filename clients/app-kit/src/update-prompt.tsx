/**
 * Registers the app's service worker (which makes it open offline) and, when a new version has
 * been downloaded, offers to reload into it: never mid-task without asking.
 */
import { useEffect, useState } from 'react';
import { Workbox } from 'workbox-window';

export function UpdatePrompt() {
  const [waiting, setWaiting] = useState<Workbox | undefined>(undefined);

  useEffect(() => {
    if (!('serviceWorker' in navigator)) return;
    const workbox = new Workbox(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL });
    workbox.addEventListener('waiting', () => setWaiting(workbox));
    workbox.register().catch((error: unknown) => console.warn('The service worker did not register; the app will not open offline', error));
  }, []);

  if (!waiting) return null;
  return (
    <div className="update-prompt" role="alert">
      A new version of the app is ready.
      <button
        type="button"
        className="primary"
        onClick={() => {
          waiting.addEventListener('controlling', () => window.location.reload());
          waiting.messageSkipWaiting();
        }}
      >
        Reload
      </button>
    </div>
  );
}
