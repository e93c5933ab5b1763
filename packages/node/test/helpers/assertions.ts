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

/** Kendall's tau-a of two score lists: (concordant - discordant) / all pairs; ties count as neither. */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      sum += Math.sign(a[i]! - a[j]!) * Math.sign(b[i]! - b[j]!);
      pairs++;
    }
  }
  return pairs === 0 ? 1 : sum / pairs;
}
