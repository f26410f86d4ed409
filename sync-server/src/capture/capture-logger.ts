/** The slice of a pino logger that capture uses; pass the server's logger or a child of it. */
export interface CaptureLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export const silentLogger: CaptureLogger = { info: () => {}, warn: () => {}, error: () => {} };
