/**
 * Hash routes (`#/customers/<id>`): the service worker serves one page for every route, and a
 * reload (offline too) stays on the screen it was on.
 */
import { useEffect, useState } from 'react';

const read = (): string[] => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);

/** The current route's parts, re-rendering when it changes. */
export function useRoute(): readonly string[] {
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function go(...parts: readonly string[]): void {
  window.location.hash = `#/${parts.map(encodeURIComponent).join('/')}`;
}
