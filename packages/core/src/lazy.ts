/** Something that holds resources until it is disposed, such as a `UnifiedReRanker`. */
export interface Disposable {
  dispose(): Promise<void>;
}

/** A resource built on first use by {@link lazyDisposable}. */
export interface LazyDisposable<T extends Disposable> {
  /** The resource, created by the first call; concurrent first calls share one creation. */
  get(): Promise<T>;
  /** Frees the resource if it was created (the next `get()` creates a new one); safe to call twice. */
  dispose(): Promise<void>;
}

/**
 * Creates a resource on first use and frees it on `dispose()`. A failed creation is not kept, so the
 * next `get()` tries again (a model download may have failed for a moment).
 *
 * The adapters (`@reranker/ai-sdk`, `@reranker/langchain`, `@reranker/llamaindex`) build their
 * in-process engine this way, with `create` importing `@reranker/node` only then, so an app that
 * only talks to a server never loads onnxruntime.
 *
 * @example
 * const engine = lazyDisposable(() => import('@reranker/node').then((m) => m.createReranker(options)));
 * const results = await (await engine.get()).rerank(query, documents);
 * await engine.dispose();
 */
export function lazyDisposable<T extends Disposable>(create: () => Promise<T>): LazyDisposable<T> {
  let current: Promise<T> | undefined;
  return {
    get() {
      if (current) return current;
      const created = create();
      created.catch(() => {
        if (current === created) current = undefined;
      });
      current = created;
      return created;
    },
    async dispose() {
      const created = current;
      current = undefined;
      // A creation that failed holds nothing to free.
      const resource = await created?.catch(() => undefined);
      await resource?.dispose();
    },
  };
}
