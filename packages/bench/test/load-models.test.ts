import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../src/load';
import { mixSchedule, parseModelMix, perModel } from '../src/load-models';
import { loadMarkdown } from '../src/load-report';

describe('--models', () => {
  it('parses names (weight 1) and name=weight pairs', () => {
    expect(parseModelMix('minilm, xlmr,qwen')).toEqual([
      { name: 'minilm', weight: 1 },
      { name: 'xlmr', weight: 1 },
      { name: 'qwen', weight: 1 },
    ]);
    expect(parseModelMix('minilm=3,xlmr=1')).toEqual([
      { name: 'minilm', weight: 3 },
      { name: 'xlmr', weight: 1 },
    ]);
  });

  it('refuses empty names, bad weights and repeated names with the reason', () => {
    expect(() => parseModelMix('a,,b')).toThrow(/a model name is empty/);
    expect(() => parseModelMix('a=0')).toThrow(/weight of "a" must be a positive integer, got "0"/);
    expect(() => parseModelMix('a=1.5')).toThrow(/positive integer, got "1.5"/);
    expect(() => parseModelMix('a=x')).toThrow(/positive integer/);
    expect(() => parseModelMix('a,b,a')).toThrow(/"a" is given twice/);
  });

  it('mixes round-robin, and by weight without long streaks of one model', () => {
    expect(mixSchedule(parseModelMix('a,b,c'))).toEqual(['a', 'b', 'c']);
    const weighted = mixSchedule(parseModelMix('a=3,b=1,c=2'));
    expect(weighted).toHaveLength(6);
    expect(weighted.filter((m) => m === 'a')).toHaveLength(3);
    expect(weighted.filter((m) => m === 'b')).toHaveLength(1);
    expect(weighted.filter((m) => m === 'c')).toHaveLength(2);
    // Smooth: no model twice in a row here (a's share is a half).
    expect(weighted.some((m, i) => i > 0 && m === weighted[i - 1])).toBe(false);
  });

  it('groups outcomes by the model their request named', () => {
    const outcome = (model: string, ok: boolean, ms: number) => ({
      model,
      ok,
      ms,
      status: ok ? 200 : 500,
      retryAfter: false,
    });
    const groups = perModel(parseModelMix('a,b'), [
      outcome('a', true, 5),
      outcome('b', false, 1),
      outcome('a', true, 7),
    ]);
    expect(groups.map((g) => [g.model, g.summary.total, g.summary.ok])).toEqual([
      ['a', 2, 2],
      ['b', 1, 0],
    ]);
  });
});

describe('runLoad --models against a stand-in server', () => {
  let server: Server;
  let url: string;
  const named: Array<string | undefined> = [];
  beforeAll(async () => {
    // Answers every request, failing those naming "broken", and records the model each one named.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const { documents, model } = JSON.parse(body) as { documents: string[]; model?: string };
        named.push(model);
        if (model === 'broken') res.writeHead(404).end('no such model');
        else
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ results: documents.map((_, index) => ({ index, relevance_score: 0 })) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('sends the mix in `model` and reports each model apart', async () => {
    const result = await runLoad({
      url,
      mode: 'load',
      requests: 12,
      concurrency: 1,
      docs: 2,
      docWords: 5,
      seed: 1,
      timeoutMs: 10_000,
      maxSeconds: 60,
      allowRemote: false,
      models: parseModelMix('a=2,broken=1'),
    });
    // One at a time, so the server saw the schedule in order.
    expect(named).toEqual(Array.from({ length: 4 }, () => mixSchedule(parseModelMix('a=2,broken=1'))).flat());
    expect(result.perModel.map((m) => [m.model, m.summary.total, m.summary.ok])).toEqual([
      ['a', 8, 8],
      ['broken', 4, 0],
    ]);
    const markdown = loadMarkdown(result);
    expect(markdown).toContain('| model a (weight 2) | 8 | 8 |');
    expect(markdown).toContain('| model broken (weight 1) | 4 | 0 |');
  });
});
