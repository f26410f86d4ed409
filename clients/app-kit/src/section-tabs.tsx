/** The apps' top navigation: a tab bar of big targets, one per section (hash route). */
import { go } from './hash-route.ts';

export function SectionTabs(props: { readonly tabs: readonly (readonly [id: string, label: string])[]; readonly current: string }) {
  return (
    <nav className="tabs" aria-label="Sections">
      {props.tabs.map(([id, label]) => (
        <button key={id} type="button" aria-current={props.current === id ? 'page' : undefined} onClick={() => go(id)}>
          {label}
        </button>
      ))}
    </nav>
  );
}
