import type * as ort from 'onnxruntime-web';
import type { EncodedBatch } from '../backend';
import { errorMessage, RerankerError } from '../errors';
import type { DecoderLayout } from '../kinds/decoder-graph';
import { DecoderRunner } from '../kinds/decoder-runner';
import type { BackendKindInfo } from '../kinds/kind';
import { SerialSession, webRunnerSession } from './session';

/**
 * Two rows of three tokens, the second padded, so the probe takes the masked paths real batches take.
 * Decoder kinds get a two-token prefix too. Id 1 exists in every vocabulary; what it means is moot.
 */
export function probeBatch(kind: BackendKindInfo): EncodedBatch {
  const rows = 2;
  const width = 3;
  const pad = BigInt(kind.padTokenId);
  const inputIds = BigInt64Array.from([1n, 1n, 1n, 1n, 1n, pad]);
  const attentionMask = BigInt64Array.from([1n, 1n, 1n, 1n, 1n, 0n]);
  const batch: EncodedBatch = {
    rows,
    width,
    inputIds,
    attentionMask,
    tokenTypeIds: new BigInt64Array(rows * width),
  };
  if (kind.graph.inputs === 'prefix-cache')
    batch.prefix = { key: 'load-probe', inputIds: BigInt64Array.from([1n, 1n]) };
  return batch;
}

/**
 * Runs `probeBatch` on a freshly created session and throws BACKEND_UNAVAILABLE unless it gives finite
 * logits. For WebGPU: onnxruntime-web creates a session whatever its kernels support (they check their
 * inputs when they first run), so a graph it cannot run would otherwise fail every batch after a
 * successful load, where no backend fallback can help. The probe's shaders are those of real batches.
 */
export async function probeSession(
  session: ort.InferenceSession,
  options: { device: string; kind: BackendKindInfo; decoderLayout?: DecoderLayout; what: string },
): Promise<void> {
  const { device, kind, decoderLayout, what } = options;
  // A runner of its own without a prefix LRU, so the probe leaves no entry or statistics behind.
  const decoder =
    decoderLayout &&
    new DecoderRunner(webRunnerSession(session), decoderLayout, kind, { prefixCache: { maxBytes: 0 } });
  // Never disposed: that would release the session the backend goes on to use.
  const probe = new SerialSession(session, `onnxruntime-web (${device})`, kind.numLabels, decoder);
  let logits: Float32Array;
  try {
    logits = await probe.run(probeBatch(kind));
  } catch (error) {
    throw new RerankerError(
      'BACKEND_UNAVAILABLE',
      `onnxruntime-web's ${device} provider cannot run ${what}: a probe batch at load failed (${errorMessage(error)})${hint(errorMessage(error))}`,
      { cause: error },
    );
  }
  if (!logits.every(Number.isFinite)) {
    throw new RerankerError(
      'BACKEND_UNAVAILABLE',
      `onnxruntime-web's ${device} provider gives non-finite logits for ${what} (a probe batch at load returned ${Array.from(logits).join(', ')})`,
    );
  }
}

/** What to do about failures whose cause is known. */
function hint(message: string): string {
  if (/MultiHeadAttention/.test(message) && /Mask not supported/i.test(message)) {
    return ". Its com.microsoft MultiHeadAttention nodes take a key_padding_mask, which onnxruntime-web's WebGPU kernel refuses; an export with standard ONNX operators (as Optimum writes) runs on WebGPU";
  }
  return '';
}
