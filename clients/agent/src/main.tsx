import { FieldApp } from '@niaga/app-kit';
import { createRoot } from 'react-dom/client';
import { AgentScreens } from './agent-screens.tsx';
import { deleteAgentStore, openAgentStore } from './local-db.ts';
import { agentIndexes, agentTables } from './synced-tables.ts';

createRoot(document.getElementById('root')!).render(
  <FieldApp appTitle="Niaga Agent" role="agent" tables={agentTables} indexes={agentIndexes} openStore={openAgentStore} deleteStore={deleteAgentStore}>
    <AgentScreens />
  </FieldApp>,
);
