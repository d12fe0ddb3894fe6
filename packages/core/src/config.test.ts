import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig, portCheck } from './config.ts';

const spec = {
  PORT: { kind: 'int', default: '8080', check: portCheck, help: 'HTTP port.' },
  BROKERS: { kind: 'list', help: 'Kafka brokers.' },
  URL: { kind: 'url', default: 'http://x:1/a/', help: 'Registry.' },
  DEV: { kind: 'bool', default: 'false', help: 'Dev mode.' },
  KEY: { kind: 'secret', optional: true, check: (v: string) => (v.length >= 8 ? undefined : 'too short'), help: 'Admin key.' },
} as const;

describe('loadConfig', () => {
  it('applies defaults and parses kinds', () => {
    const c = loadConfig(spec, { BROKERS: 'a:1, b:2' });
    expect(c).toEqual({ PORT: 8080, BROKERS: ['a:1', 'b:2'], URL: 'http://x:1/a', DEV: false });
  });

  it('lists every problem at once, each with its fix', () => {
    const err = (() => {
      try {
        loadConfig(spec, { PORT: '99999', DEV: 'maybe', URL: 'not a url', KEY: 'abc12' });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.problems).toHaveLength(5);
    expect(err.problems.join('\n')).toMatch(/PORT=99999: must be a port/);
    expect(err.problems.join('\n')).toMatch(/BROKERS is required but not set\. Kafka brokers\./);
    expect(err.problems.join('\n')).toMatch(/DEV=maybe is not a boolean/);
    expect(err.problems.join('\n')).toMatch(/URL=not a url is not a URL/);
    // A secret's value is never echoed back.
    expect(err.problems.join('\n')).toMatch(/KEY=\(hidden\): too short/);
    expect(err.message).not.toContain('abc12');
  });

  it('leaves optional settings undefined', () => {
    expect(loadConfig(spec, { BROKERS: 'a:1' }).KEY).toBeUndefined();
  });

  it('renders a commented .env example', () => {
    const text = describeConfig(spec);
    expect(text).toContain('# HTTP port.\nPORT=8080');
    expect(text).toContain('# Kafka brokers. (required)\n# BROKERS=');
  });
});
