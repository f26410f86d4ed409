import { FieldApp } from '@niaga/app-kit';
import { createRoot } from 'react-dom/client';
import { deleteWarehouseStore, openWarehouseStore, warehouseIndexes, warehouseTables } from './local-db.ts';
import { WarehouseScreens } from './warehouse-screens.tsx';
import './warehouse.css';

createRoot(document.getElementById('root')!).render(
  <FieldApp appTitle="Niaga Warehouse" role="warehouse" tables={warehouseTables} indexes={warehouseIndexes} openStore={openWarehouseStore} deleteStore={deleteWarehouseStore}>
    <WarehouseScreens />
  </FieldApp>,
);
