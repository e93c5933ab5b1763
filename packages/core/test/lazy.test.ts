import { describe, expect, it } from 'vitest';
import { lazyDisposable } from '../src/index';

/** A resource factory that counts creations and disposals; fails the calls listed in `failing`. */
function factory(failing: number[] = []) {
  const made: { id: number; disposed: number }[] = [];
  let calls = 0;
  const create = async () => {
    calls++;
    if (failing.includes(calls)) throw new Error(`creation ${calls} failed`);
    const resource = {
      id: calls,
      disposed: 0,
      async dispose() {
        resource.disposed++;
      },
    };
    made.push(resource);
    return resource;
  };
  return { create, made, calls: () => calls };
}

describe('lazyDisposable', () => {
  it('creates nothing until get(), then once for concurrent callers', async () => {
    const f = factory();
    const lazy = lazyDisposable(f.create);
    expect(f.calls()).toBe(0);
    const [a, b] = await Promise.all([lazy.get(), lazy.get()]);
    expect(a).toBe(b);
    expect(await lazy.get()).toBe(a);
    expect(f.calls()).toBe(1);
  });

  it('forgets a failed creation so the next get() tries again', async () => {
    const f = factory([1]);
    const lazy = lazyDisposable(f.create);
    await expect(lazy.get()).rejects.toThrow('creation 1 failed');
    expect((await lazy.get()).id).toBe(2);
  });

  it('dispose() frees the resource once, and the next get() creates a new one', async () => {
    const f = factory();
    const lazy = lazyDisposable(f.create);
    const first = await lazy.get();
    await lazy.dispose();
    await lazy.dispose();
    expect(first.disposed).toBe(1);
    const second = await lazy.get();
    expect(second).not.toBe(first);
    expect(second.id).toBe(2);
  });

  it('dispose() before any get(), or after a failed creation, resolves and frees nothing', async () => {
    const f = factory([1]);
    const lazy = lazyDisposable(f.create);
    await lazy.dispose();
    const failed = lazy.get();
    await lazy.dispose();
    await expect(failed).rejects.toThrow('creation 1 failed');
    expect(f.made).toEqual([]);
  });
});
