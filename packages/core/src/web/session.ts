import * as ort from 'onnxruntime-web';
import { abortError, raceAbort } from '../abort';
import { checkEncodedBatch, checkLogits, type EncodedBatch, sessionInputs } from '../backend';
import { errorMessage, RerankerError } from '../errors';
import { checkClassifierGraph } from '../graph-check';
import type { DecoderGraphSignature } from '../kinds/decoder-graph';
import type { DecoderRunner, RunnerSession } from '../kinds/decoder-runner';

/** The graph must take what we feed and give one logit per label (as the Node backend checks). */
export function checkGraph(session: ort.InferenceSession, numLabels: number, file: string): void {
  const meta = session.outputMetadata?.find((m) => m.name === 'logits');
  const logitsLabels = meta?.isTensor ? meta.shape.at(-1) : undefined;
  checkClassifierGraph(
    {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      logitsLabels: typeof logitsLabels === 'number' ? logitsLabels : undefined,
    },
    numLabels,
    file,
  );
}

/** Names and declared shapes, for `decoderGraphLayout`. */
export function graphSignature(session: ort.InferenceSession): DecoderGraphSignature {
  const shapes: Record<string, (number | null)[]> = {};
  for (const meta of [...(session.inputMetadata ?? []), ...(session.outputMetadata ?? [])])
    if (meta.isTensor) shapes[meta.name] = meta.shape.map((d) => (typeof d === 'number' ? d : null));
  return { inputNames: session.inputNames, outputNames: session.outputNames, shapes };
}

/** onnxruntime-web as core's decoder runner sees a session (outputs downloaded, copied, disposed). */
export function webRunnerSession(session: ort.InferenceSession): RunnerSession<ort.Tensor> {
  return {
    run: (feeds, fetches) => session.run(feeds, [...fetches]) as Promise<Record<string, ort.Tensor>>,
    int64: (data, dims) => new ort.Tensor('int64', data, [...dims]),
    float32: (data, dims) => new ort.Tensor('float32', data, [...dims]),
    read: async (tensor) => ((await tensor.getData()) as Float32Array).slice(),
    dims: (tensor) => tensor.dims,
    release: (tensor) => tensor.dispose(),
  };
}

/**
 * One onnxruntime-web session whose runs go one at a time: a wasm or WebGPU session is not meant to
 * run batches concurrently, so each run waits for the previous one (a promise chain).
 */
export class SerialSession {
  private tail: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly label: string,
    private readonly numLabels: number,
    /** Decoder kinds: batches run through it (prefix LRU included) instead of as plain inputs. */
    private readonly decoder?: DecoderRunner<ort.Tensor>,
  ) {}

  run(batch: EncodedBatch, signal?: AbortSignal): Promise<Float32Array> {
    if (this.disposed) {
      return Promise.reject(
        new RerankerError('DISPOSED', `${this.label} was disposed; create a new reranker.`),
      );
    }
    if (signal?.aborted) return Promise.reject(abortError(signal));
    checkEncodedBatch(batch);
    const job = this.tail.then(() => {
      // A batch aborted while it waited never runs.
      if (signal?.aborted) throw abortError(signal);
      return this.runNow(batch);
    });
    this.tail = job.catch(() => undefined);
    return raceAbort(job, signal);
  }

  /** Waits for the runs already queued, then releases the session. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.tail;
    await this.session.release();
  }

  private async runNow(batch: EncodedBatch): Promise<Float32Array> {
    if (this.decoder) return this.runDecoder(this.decoder, batch);
    const dims = [batch.rows, batch.width];
    const inputs = sessionInputs(batch, this.session.inputNames);
    let logits: Float32Array;
    try {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, data] of Object.entries(inputs)) feeds[name] = new ort.Tensor('int64', data, dims);
      const outputs = await this.session.run(feeds);
      const tensor = outputs.logits;
      if (!tensor) throw new Error('the model returned no logits output');
      // getData() downloads GPU-resident outputs too; slice() gives a copy we own.
      logits = ((await tensor.getData()) as Float32Array).slice();
      for (const output of Object.values(outputs)) output.dispose();
    } catch (error) {
      throw new RerankerError(
        'BACKEND_FAILED',
        `${this.label} failed to run a batch of ${batch.rows} × ${batch.width} tokens: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    return checkLogits(logits, batch.rows, this.numLabels, this.label);
  }

  private async runDecoder(decoder: DecoderRunner<ort.Tensor>, batch: EncodedBatch): Promise<Float32Array> {
    let logits: Float32Array;
    try {
      logits = (await decoder.run(batch)).logits;
    } catch (error) {
      throw new RerankerError(
        'BACKEND_FAILED',
        `${this.label} failed to run a decoder batch of ${batch.rows} × ${batch.width} tokens: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    return checkLogits(logits, batch.rows, this.numLabels, this.label);
  }
}
