/** The apps' top navigation: a tab bar of big targets, one per section (hash route). */
import { useEffect, useRef } from 'react';
import { go } from './hash-route.ts';

export function SectionTabs(props: { readonly tabs: readonly (readonly [id: string, label: string])[]; readonly current: string }) {
  const currentTab = useRef<HTMLButtonElement>(null);
  // On a narrow phone the bar scrolls sideways: keep the current section's tab in view. (A block
  // body: Chromium's scrollIntoView returns a promise, which React would call as the cleanup.)
  useEffect(() => {
    void currentTab.current?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [props.current]);
  return (
    <nav className="tabs" aria-label="Sections">
      {props.tabs.map(([id, label]) => (
        <button
          key={id}
          ref={props.current === id ? currentTab : undefined}
          type="button"
          aria-current={props.current === id ? 'page' : undefined}
          onClick={() => go(id)}
        >
          {label}
        </button>
      ))}
    </nav>
  );
}
