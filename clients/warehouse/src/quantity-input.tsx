/**
 * A field for a quantity typed by a person, on a screen where a keyboard-wedge scanner may fire
 * at any moment. A scan while the field has the focus would append a barcode to the number, so a
 * burst of keys at scanner speed ending in Enter is taken out of the field and handed on as a
 * scan. Enter typed by a person sends the focus back to the scan field.
 */
import { useRef, type KeyboardEvent } from 'react';
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

export function QuantityInput(props: QuantityInputProps) {
  /** The printable keys of the current burst: each within burstGapMs of the one before. */
  const burst = useRef<{ keys: string; at: number }>({ keys: '', at: 0 });

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
    if (keys.length >= burstMinLength && at - last <= burstGapMs * 3 && value.endsWith(keys)) {
      props.onChange(value.slice(0, value.length - keys.length));
      props.onScan(normalizeCode(keys));
      return;
    }
    focusScanField();
    props.onEnter?.();
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
