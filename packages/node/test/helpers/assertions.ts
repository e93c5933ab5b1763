/** The error a promise rejects with (failing the test if it resolves), for asserting on code and message. */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; details?: unknown }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected a rejection');
  return error;
}
