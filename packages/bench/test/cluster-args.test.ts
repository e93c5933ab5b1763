import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_SERVERS, parseServerCounts, threadsPerServer } from '../src/cluster-args';
import { NGINX_CONFIG, renderNginxConfig } from '../src/cluster-processes';
import { parseShare } from '../src/cluster-workload';

describe('cluster arguments', () => {
  it('reads server counts in the order given', () => {
    expect(parseServerCounts('1,3')).toEqual([1, 3]);
    expect(parseServerCounts(' 3 , 1,2')).toEqual([3, 1, 2]);
    expect(parseServerCounts(String(MAX_SERVERS))).toEqual([MAX_SERVERS]);
  });

  it.each(['', '0', '1,', 'a', '1.5', '-1', String(MAX_SERVERS + 1), '1,1'])(
    'refuses --servers %j with an INVALID_CONFIG error',
    (value) => {
      expect(() => parseServerCounts(value)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    },
  );

  it('reads a repeat share from 0 to 1 and refuses anything else', () => {
    expect(parseShare('0')).toBe(0);
    expect(parseShare('0.5')).toBe(0.5);
    expect(parseShare('1')).toBe(1);
    for (const bad of ['', ' ', '-0.1', '1.01', 'half', 'NaN', 'Infinity']) {
      expect(() => parseShare(bad), bad).toThrow(/--repeat-share must be a number from 0 to 1/);
    }
  });

  it('shares the cores out among the servers, at least one thread each', () => {
    expect(threadsPerServer(2, 1)).toBe(2);
    expect(threadsPerServer(2, 3)).toBe(1);
    expect(threadsPerServer(8, 3)).toBe(2);
    expect(threadsPerServer(1, 1)).toBe(1);
  });
});

describe('the shipped nginx config, rendered for a run', () => {
  const template = readFileSync(NGINX_CONFIG, 'utf8');
  const upstream = (config: string) => /upstream reranker \{[^}]*\}/.exec(config)![0];

  it.each([[[9001]], [[9001, 9002, 9003]], [[9001, 9002, 9003, 9004]]])(
    'lists exactly the servers %j with the shipped options, and listens on loopback',
    (ports) => {
      const config = renderNginxConfig(template, 7777, ports);
      const lines = upstream(config)
        .match(/^\s*server .*$/gm)!
        .map((line) => line.trim());
      expect(lines).toEqual(ports.map((p) => `server 127.0.0.1:${p} max_fails=3 fail_timeout=30s;`));
      expect(config).toContain('listen 127.0.0.1:7777;');
      expect(config).not.toContain('listen 8080;');
      // Everything outside the upstream and the listen line is the shipped text.
      expect(upstream(config).replace(/^\s*server .*\n/gm, '')).toBe(
        upstream(template).replace(/^\s*server .*\n/gm, ''),
      );
      expect(config.replace(upstream(config), '').replace('listen 127.0.0.1:7777;', 'listen 8080;')).toBe(
        template.replace(upstream(template), ''),
      );
    },
  );

  it('fails loudly when the config changed shape', () => {
    expect(() => renderNginxConfig(template.replace('listen 8080;', 'listen 80;'), 7777, [1])).toThrow(
      /listen 8080/,
    );
    expect(() => renderNginxConfig('http {}', 7777, [1])).toThrow(/upstream reranker/);
  });
});
