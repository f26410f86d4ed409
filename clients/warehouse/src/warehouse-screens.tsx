/** The picker's sections: a tab bar of big targets, then the screen the hash route names. */
import { SectionTabs, useRoute } from '@niaga/app-kit';
import { CountScreen } from './count-screen.tsx';
import { LookupScreen } from './lookup-screen.tsx';
import { PickListScreen, PickListsScreen } from './pick-screens.tsx';
import { TransferScreen, TransfersScreen } from './transfer-screens.tsx';

const tabs = [
  ['picks', 'Picks'],
  ['count', 'Count'],
  ['transfers', 'Transfers'],
  ['lookup', 'Lookup'],
] as const;

export function WarehouseScreens() {
  const [section = 'picks', id] = useRoute();
  return (
    <>
      <SectionTabs tabs={tabs} current={section} />
      <main className="screen">
        <Screen section={section} id={id} />
      </main>
    </>
  );
}

function Screen(props: { readonly section: string; readonly id: string | undefined }) {
  switch (props.section) {
    case 'picks':
      return props.id ? <PickListScreen key={props.id} pickListID={props.id} /> : <PickListsScreen />;
    case 'count':
      return <CountScreen key={props.id ?? ''} binID={props.id} />;
    case 'transfers':
      return props.id ? <TransferScreen key={props.id} transferID={props.id} /> : <TransfersScreen />;
    case 'lookup':
      return <LookupScreen />;
    default:
      return <p>There is no screen “{props.section}”.</p>;
  }
}
