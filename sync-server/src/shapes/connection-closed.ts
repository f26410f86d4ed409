import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Settles when the client's connection closes; at once if it closed already, while the handler
 * was busy (its 'close' event is past then, and waiting for it would wait for nothing).
 */
export function connectionClosed(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.destroyed || response.destroyed) return Promise.resolve();
  return new Promise((resolve) => request.once('close', () => resolve()));
}
