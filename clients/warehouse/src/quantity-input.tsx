/**
 * A field for a quantity typed by a person, on a screen where a keyboard-wedge scanner may fire
 * at any moment. A scan while the field has the focus appends a barcode to the number, so on
 * Enter the field looks for one at its end: the longest ending that is a product's barcode or SKU
 * (whatever the keys' timing), else a burst of keys at scanner speed (an unknown code). It is
 * taken out of the field and handed on as a scan. Enter typed by a person sends the focus back to
 * the scan field.
 */
import { useDevice } from '@niaga/app-kit';
import { useRef, type KeyboardEvent } from 'react';
import { findProductByCode } from './catalog.ts';
import { normalizeCode } from './scan-rules.ts';

/** Scanners send a key every few milliseconds; people typing a number take longer than 80 ms a key. */
const burstGapMs = 80;
/** The shortest code taken for a scan (EAN-8); shorter bursts are left as typed. */
const burstMinLength = 6;

export function focusScanField(): void {
  document.querySelector<HTMLInputElement>('input[name="scan"]')?.focus();
}

export interface QuantityInputProps {
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  /** A scan that arrived while this field had the focus. */
  readonly onScan: (code: string) => void;
  /** Enter typed by a person (after the focus went back to the scan field). */
  readonly onEnter?: () => void;
  readonly invalid?: boolean;
  readonly disabled?: boolean;
  readonly placeholder?: string;
}

/** Codes are at least this long; a quantity is at most 8 digits (10,000,000). */
const shortestCode = 6;

export function QuantityInput(props: QuantityInputProps) {
  const { store } = useDevice();
  /** The printable keys of the current burst: each within burstGapMs of the one before. */
  const burst = useRef<{ keys: string; at: number }>({ keys: '', at: 0 });

  /** The longest ending of `value` that is a known product's code, if any. */
  const knownCodeAtEnd = (value: string): Promise<string | undefined> =>
    store.transaction(async (tx) => {
      for (let start = 0; start <= value.length - shortestCode; start++) {
        const candidate = value.slice(start);
        if (await findProductByCode(tx, candidate)) return candidate;
      }
      return undefined;
    });

  const takeOut = (value: string, code: string) => {
    props.onChange(value.slice(0, value.length - code.length));
    props.onScan(normalizeCode(code));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    const at = event.timeStamp;
    if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      const current = burst.current;
      burst.current = { keys: at - current.at <= burstGapMs ? current.keys + event.key : event.key, at };
      return;
    }
    if (event.key !== 'Enter') return;
    event.preventDefault();
    const { keys, at: last } = burst.current;
    burst.current = { keys: '', at: 0 };
    const value = event.currentTarget.value;
    const fastBurst = keys.length >= burstMinLength && at - last <= burstGapMs * 3 && value.endsWith(keys);
    // A person's quantity is short and all digits: anything longer may hold a scan.
    if (value.trim().length < shortestCode && !fastBurst) {
      focusScanField();
      props.onEnter?.();
      return;
    }
    void knownCodeAtEnd(value.trim())
      .catch(() => undefined)
      .then((code) => {
        if (code) return takeOut(value.trim(), code);
        if (fastBurst) return takeOut(value, keys);
        // Typed by a person (a long number): left as it is, the check before sending says if it is out of range.
        focusScanField();
        props.onEnter?.();
      });
  };

  return (
    <input
      inputMode="numeric"
      autoComplete="off"
      aria-label={props.label}
      aria-invalid={props.invalid ? true : undefined}
      disabled={props.disabled}
      placeholder={props.placeholder}
      value={props.value}
      onChange={(event) => props.onChange(event.target.value)}
      onKeyDown={onKeyDown}
    />
  );
}
