/**
 * The one scan field of a screen. Keyboard-wedge scanners type the code fast and press Enter, so
 * the field keeps the focus: it takes it back when it is lost to nothing, and a key typed while no
 * other field has the focus goes into it. Where the browser has BarcodeDetector, a button opens the
 * camera. A scanner's quick repeat of the same code is dropped here, before any screen sees it.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type FormEvent } from 'react';
import { isRepeat, normalizeCode, type LastScan, type ScanSource } from './scan-rules.ts';
import { playScanSound } from './scan-sound.ts';

export interface ScanFeedback {
  readonly kind: 'ok' | 'error' | 'info';
  readonly message: string;
  /** Distinguishes two equal messages in a row (each flashes). */
  readonly serial: number;
}

/** The feedback of the latest scan, with its sound. */
export function useScanFeedback(): [ScanFeedback | undefined, (kind: ScanFeedback['kind'], message: string) => void, () => void] {
  const [feedback, setFeedback] = useState<ScanFeedback | undefined>(undefined);
  const serial = useRef(0);
  const report = useCallback((kind: ScanFeedback['kind'], message: string) => {
    if (kind !== 'info') playScanSound(kind);
    setFeedback({ kind, message, serial: ++serial.current });
  }, []);
  const clear = useCallback(() => setFeedback(undefined), []);
  return [feedback, report, clear];
}

/** What to tell the picker when a scan could not even be looked up (the device's database failed). */
export function scanFailure(code: string, error: unknown): string {
  return `The scan of ${code} could not be checked on this device: ${error instanceof Error ? error.message : 'unknown error'}. Scan again.`;
}

interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<readonly { readonly rawValue: string }[]>;
}
type BarcodeDetectorClass = new (options?: { formats?: readonly string[] }) => BarcodeDetectorLike;

function barcodeDetector(): BarcodeDetectorClass | undefined {
  return (globalThis as unknown as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
}

const isEditable = (element: Element | null): boolean =>
  element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement || (element instanceof HTMLElement && element.isContentEditable);

export interface ScanFieldProps {
  readonly label: string;
  readonly onScan: (code: string, source: ScanSource) => void;
  readonly feedback?: ScanFeedback | undefined;
  readonly placeholder?: string;
}

export function ScanField(props: ScanFieldProps) {
  const input = useRef<HTMLInputElement>(null);
  const last = useRef<LastScan | undefined>(undefined);
  const [value, setValue] = useState('');
  const [camera, setCamera] = useState(false);
  const [repeat, setRepeat] = useState(0);
  const { onScan } = props;

  /** When the browser received the Enter that submits (not when this busy page got to it). */
  const enterAt = useRef<number | undefined>(undefined);

  const accept = useCallback(
    (raw: string, source: ScanSource, receivedAt?: number) => {
      const code = normalizeCode(raw);
      if (code === '') return;
      const at = receivedAt ?? performance.now();
      if (isRepeat(last.current, code, at, source)) {
        // The window slides: a camera holding the same code stays quiet.
        last.current = { code, at, source };
        setRepeat((count) => count + 1);
        return;
      }
      last.current = { code, at, source };
      onScan(code, source);
    },
    [onScan],
  );

  // Before the field is painted: a scan that starts the moment it shows must not lose a key.
  useLayoutEffect(() => {
    input.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return;
      if (isEditable(document.activeElement)) return;
      // A wedge scanner typing while a button has the focus: the keys belong in the scan field.
      input.current?.focus();
    };
    document.addEventListener('keydown', onKey, true);
    return () => document.removeEventListener('keydown', onKey, true);
  }, []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    accept(value, 'keyboard', enterAt.current);
    enterAt.current = undefined;
    setValue('');
  };

  const { feedback } = props;
  return (
    <div className={`scan-panel${feedback ? ` scan-${feedback.kind}` : ''}`}>
      <form className="scan-form" onSubmit={submit} role="search" aria-label={props.label}>
        <input
          ref={input}
          aria-label={props.label}
          name="scan"
          value={value}
          placeholder={props.placeholder ?? 'Scan or type a barcode, then Enter'}
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          enterKeyHint="enter"
          onChange={(event) => setValue(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') enterAt.current = event.timeStamp;
          }}
          onBlur={(event) => {
            // Lost to nothing (a tap on the page): take it back. Lost to a field or button: leave it.
            if (event.relatedTarget === null) setTimeout(() => !isEditable(document.activeElement) && input.current?.focus(), 0);
          }}
        />
        <button type="submit" className="primary">
          Enter
        </button>
        {barcodeDetector() && (
          <button type="button" aria-pressed={camera} onClick={() => setCamera(!camera)}>
            {camera ? 'Close camera' : 'Camera'}
          </button>
        )}
      </form>
      {camera && <CameraScanner onCode={(code) => accept(code, 'camera')} onClose={() => setCamera(false)} />}
      {feedback && (
        <p key={feedback.serial} className={`scan-message ${feedback.kind}`} role={feedback.kind === 'error' ? 'alert' : 'status'} data-testid="scan-message">
          {feedback.message}
        </p>
      )}
      {repeat > 0 && (
        <p className="muted small" data-testid="scan-repeats">
          {repeat} repeated scan{repeat === 1 ? '' : 's'} ignored
        </p>
      )}
    </div>
  );
}

function CameraScanner(props: { readonly onCode: (code: string) => void; readonly onClose: () => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | undefined>(undefined);
  const onCode = useRef(props.onCode);
  useEffect(() => {
    onCode.current = props.onCode;
  });

  useEffect(() => {
    const Detector = barcodeDetector();
    let stream: MediaStream | undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    (async () => {
      if (!Detector) throw new Error('This browser cannot read barcodes from the camera');
      const detector = new Detector({ formats: ['ean_13', 'ean_8', 'upc_a', 'upc_e', 'code_128', 'code_39', 'qr_code'] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      if (stopped || !video.current) return;
      video.current.srcObject = stream;
      await video.current.play();
      const look = async () => {
        if (stopped || !video.current) return;
        try {
          for (const found of await detector.detect(video.current)) onCode.current(found.rawValue);
        } catch {
          // A frame that could not be read: try the next.
        }
        timer = setTimeout(() => void look(), 150);
      };
      await look();
    })().catch((failure: unknown) => {
      if (!stopped) setError(failure instanceof Error && failure.name === 'NotAllowedError' ? 'The camera is blocked: allow it in the browser settings, or use the scanner.' : `The camera could not start: ${String(failure)}`);
    });
    return () => {
      stopped = true;
      clearTimeout(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, []);

  return (
    <div className="camera">
      {error ? (
        <p role="alert" className="error">
          {error}{' '}
          <button type="button" onClick={props.onClose}>
            Close
          </button>
        </p>
      ) : (
        <video ref={video} muted playsInline aria-label="Camera view" />
      )}
    </div>
  );
}
