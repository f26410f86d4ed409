/** Hash routes (`#/picks/<id>`): the service worker serves one page, and a reload offline stays on the screen. */
import { useEffect, useState } from 'react';

const read = (): string[] => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);

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
