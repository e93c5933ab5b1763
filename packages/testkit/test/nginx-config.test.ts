import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NGINX_CONFIG, renderNginxConfig } from '../src/processes';

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
