/** The `code` and `message` of a Niaga API error answer (`{code, message}`); either is undefined when missing or not a string, both when the body is not JSON. */
export async function errorBody(response: Response): Promise<{ code: string | undefined; message: string | undefined }> {
  const body = (await response.json().catch(() => undefined)) as { code?: unknown; message?: unknown } | null | undefined;
  return { code: typeof body?.code === 'string' ? body.code : undefined, message: typeof body?.message === 'string' ? body.message : undefined };
}
