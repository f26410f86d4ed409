/** Why a change could not be made on the device, in words a user can act on; nothing was saved. */
import { LocalStoreError } from '@niaga/sync';

export function explainMutationError(error: Error): string {
  if (error instanceof LocalStoreError) {
    if (error.code === 'STORE_QUOTA') return "This device's storage is full, so nothing was saved: free some space and try again.";
    return `The device's database failed, so nothing was saved: ${error.message}`;
  }
  // A MutationRejected (no permission, invalid values, wrong item): its message is for people.
  return error.message;
}

export function MutationError(props: { readonly error: Error | undefined }) {
  if (!props.error) return null;
  return (
    <p role="alert" className="error" data-testid="mutation-error">
      {explainMutationError(props.error)}
    </p>
  );
}
