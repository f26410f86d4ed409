/** Internal errors of the event system (never sent to API callers). */
export const EventErrorCode = {
  busUnavailable: 'EVENT_BUS_UNAVAILABLE',
} as const;
export type EventErrorCode = (typeof EventErrorCode)[keyof typeof EventErrorCode];

export class EventBusUnavailableError extends Error {
  override readonly name = 'EventBusUnavailableError';
  readonly code: EventErrorCode = EventErrorCode.busUnavailable;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
