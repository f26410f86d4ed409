/** Hash routes (`#/customers/<id>`): the service worker serves one page, and links survive a reload offline. */
import { useEffect, useState } from 'react';

export function useRoute(): readonly string[] {
  const read = () => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
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
