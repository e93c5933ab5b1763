/**
 * Why a graph could not be built:
 * - `unsupported`: a valid checkpoint this builder cannot write yet (another architecture, activation
 *   or position scheme);
 * - `invalid-checkpoint`: config.json and the weights do not describe one model (a missing or
 *   misshapen tensor, a truncated or malformed safetensors file, a bad shard index).
 */
export type BuildErrorReason = 'unsupported' | 'invalid-checkpoint';

/** A checkpoint the builder cannot turn into a graph; `reason` says whose side it is on. */
export class BuildError extends Error {
  override readonly name = 'BuildError';

  constructor(
    readonly reason: BuildErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
