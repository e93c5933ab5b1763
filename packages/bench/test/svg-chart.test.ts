import { describe, expect, it } from 'vitest';
import type { CompareResult } from '../src/compare';
import { chartSvg, compareChartSvg, tableChartSvg, xmlEscape } from '../src/svg-chart';
import { unavailableRows } from '../src/table';
import { fakeResult, measured } from './fake-table';

/**
 * A small well-formedness check (no XML library in the package): one root, every tag closed in order,
 * attribute values quoted, `&` only in entities, no stray `<` or `>` in text.
 */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let roots = 0;
  for (let m = tag.exec(xml); m !== null; m = tag.exec(xml)) {
    const text = xml.slice(last, m.index);
    if (/[<>]/.test(text)) problems.push(`stray < or > before offset ${m.index}`);
    last = m.index + m[0].length;
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      if (stack.pop() !== name) problems.push(`</${name}> closes the wrong element`);
    } else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
  }
  if (/[<>]/.test(xml.slice(last))) problems.push('stray < or > at the end');
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(', ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  if (/&(?!(amp|lt|gt|quot|apos);)/.test(xml)) problems.push('bare &');
  return problems;
}

describe('xmlProblems (the checker itself)', () => {
  it('finds what makes a document malformed', () => {
    expect(xmlProblems('<svg><g></g></svg>')).toEqual([]);
    expect(xmlProblems('<svg><g></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><text>a < b</text></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><text>a & b</text></svg>')).toEqual(['bare &']);
    expect(xmlProblems('<svg/><svg/>')).toEqual(['2 root elements']);
  });
});

describe('tableChartSvg', () => {
  const rows = [
    measured('cpu', 8, 40),
    measured('cpu', 16, 50),
    measured('wasm', 8, 20),
    ...unavailableRows('minilm-l6', 'cuda', [8, 16], 'CUDA <provider> & GPU missing'),
    ...unavailableRows('minilm-l6', 'wasm', [16], 'out of memory', 'failed'),
  ];
  const svg = tableChartSvg(fakeResult(rows));

  it('is a well-formed SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(xmlProblems(svg)).toEqual([]);
  });

  it('draws one docs/s bar and a p50 and a p95 bar per measured row, and none for the others', () => {
    const bars = (series: string) => svg.match(new RegExp(`<rect class="bar" data-series="${series}"`, 'g'));
    expect(bars('docs/s')).toHaveLength(3);
    expect(bars('p50')).toHaveLength(3);
    expect(bars('p95')).toHaveLength(3);
    expect(svg).not.toContain('data-row="cuda × batch 8"');
    expect(svg).not.toContain('data-row="wasm × batch 16"');
  });

  it('labels rows without figures with their reason (escaped) in both panels', () => {
    const notes = svg.match(/<text class="unavailable"[^>]*>.*?<\/text>/g) ?? [];
    expect(notes).toHaveLength(6);
    expect(svg).toContain('unavailable: CUDA &lt;provider&gt; &amp; GPU missing');
    expect(svg).toContain('failed: out of memory');
    expect(svg).toContain('>cuda × batch 16</text>');
  });

  it('scales bars to the largest value of their panel', () => {
    const width = (row: string) =>
      Number(svg.match(new RegExp(`data-series="docs/s" data-row="${row}"[^>]*width="([\\d.]+)"`))![1]);
    expect(width('cpu × batch 8') / width('cpu × batch 16')).toBeCloseTo(40 / 50, 2);
    expect(svg).toContain('minilm-l6 (synthesized, random weights)');
  });
});

describe('chartSvg', () => {
  it('escapes every text and keeps an empty panel well-formed', () => {
    expect(xmlEscape(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    const svg = chartSvg('t & <t>', [{ title: 'empty', series: ['x'], unit: 'u', rows: [] }]);
    expect(xmlProblems(svg)).toEqual([]);
  });
});

describe('compareChartSvg', () => {
  it('draws a bar per contender and labels failed contenders', () => {
    const row = (name: string, docsPerSecond: number) => ({
      name,
      setup: '',
      concurrency: 1,
      requestsDone: 16,
      docsPerSecond,
      seconds: 3,
      latencyMs: { p50: 100, p95: 150, max: 200 },
      eventLoopP99Ms: 5,
      cpuShare: 1,
    });
    const result = {
      options: { preset: 'minilm-l6' },
      rows: [row('recipe', 20), row('engine (cache on)', 45)],
      failures: [{ name: 'server, 16 clients', error: 'timed out' }],
    } as unknown as CompareResult;
    const svg = compareChartSvg(result);
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg.match(/data-series="docs\/s"/g)).toHaveLength(2);
    expect(svg.match(/data-series="p95"/g)).toHaveLength(2);
    expect(svg).toContain('failed: timed out');
    expect(svg).not.toContain('data-row="server, 16 clients"');
  });
});
