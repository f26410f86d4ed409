/**
 * A Replicache puller that finishes a long catch-up at once. The server sends a long backlog in
 * parts and marks a part that is not the last with `niaga-pull-more: 1`; Replicache itself would
 * only pull again on the next poke or `pullInterval`. This puller does what the default one does
 * (POST the request to `rep.pullURL` with `rep.auth`) and asks for another pull when the header
 * says so. Use it with `rep.puller = catchUpPuller(rep)`.
 */
import { pullMoreHeader } from '@niaga/protocol';
import type { Puller, PullerResult, PullResponseV1 } from 'replicache';

export interface PullingReplicache {
  readonly pullURL: string;
  readonly auth: string;
  pull(): Promise<void>;
}

export function catchUpPuller(rep: PullingReplicache, fetcher: typeof fetch = globalThis.fetch.bind(globalThis)): Puller {
  return async (body, requestID): Promise<PullerResult> => {
    const response = await fetcher(rep.pullURL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: rep.auth, 'x-replicache-requestid': requestID },
      body: JSON.stringify(body),
    });
    if (response.status !== 200) return { httpRequestInfo: { httpStatusCode: response.status, errorMessage: await response.text() } };
    const result: PullerResult = { response: (await response.json()) as PullResponseV1, httpRequestInfo: { httpStatusCode: 200, errorMessage: '' } };
    // After Replicache has applied this part: the next pull starts from its cookie.
    if (response.headers.get(pullMoreHeader) === '1') setTimeout(() => void rep.pull().catch(() => {}), 0);
    return result;
  };
}
