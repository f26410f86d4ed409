/**
 * The sounds of a scan, made with WebAudio (no files to cache): one short high beep for a good
 * scan, two low buzzes for a refused one, so a picker hears the difference without looking.
 */
let audio: AudioContext | undefined;

function context(): AudioContext | undefined {
  if (typeof AudioContext === 'undefined') return undefined;
  audio ??= new AudioContext();
  // Browsers start a context suspended until the page has had a user gesture; a scan is one.
  if (audio.state === 'suspended') void audio.resume().catch(() => undefined);
  return audio;
}

function tone(ctx: AudioContext, frequency: number, startsAt: number, seconds: number, type: OscillatorType): void {
  const oscillator = ctx.createOscillator();
  const gain = ctx.createGain();
  oscillator.type = type;
  oscillator.frequency.value = frequency;
  gain.gain.setValueAtTime(0.2, startsAt);
  gain.gain.exponentialRampToValueAtTime(0.001, startsAt + seconds);
  oscillator.connect(gain).connect(ctx.destination);
  oscillator.start(startsAt);
  oscillator.stop(startsAt + seconds);
}

export function playScanSound(kind: 'ok' | 'error'): void {
  try {
    const ctx = context();
    if (!ctx) return;
    const now = ctx.currentTime;
    if (kind === 'ok') {
      tone(ctx, 1760, now, 0.09, 'sine');
    } else {
      tone(ctx, 220, now, 0.18, 'square');
      tone(ctx, 180, now + 0.24, 0.24, 'square');
    }
  } catch {
    // No sound is no reason to lose the scan: the screen shows it too.
  }
}
