export { FieldApp, type FieldAppProps } from './field-app.tsx';
export { useDevice, type Device } from './device.ts';
export { SyncBar, OutcomesInbox, useNow } from './sync-bar.tsx';
export { LoginScreen } from './login-screen.tsx';
export { MutationError, explainMutationError } from './mutation-error.tsx';
export { formatAge, formatMoney, describeMutation } from './format.ts';
export { newID } from './new-id.ts';
export { go, useRoute } from './hash-route.ts';
import './styles.css';
