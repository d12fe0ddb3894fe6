import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('logger', () => {
  it('keeps an error’s code, stack and cause chain in the structured entry', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => lines.push(l) });
    const root = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    logger.error('start failed', { error: new Error('database unreachable', { cause: root }) });
    const entry = JSON.parse(lines[0] ?? '{}') as { error: { message: string; stack: string; cause: { code: string; message: string; stack: string } } };
    expect(entry.error.message).toBe('database unreachable');
    expect(entry.error.stack).toMatch(/logger\.test\.ts/);
    expect(entry.error.cause).toMatchObject({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' });
    expect(entry.error.cause.stack).toMatch(/^Error: connect ECONNREFUSED/);
  });

  it('stops a cause chain after a few levels and still redacts secret-named fields', () => {
    const lines: string[] = [];
    let err = new Error('level 0');
    for (let i = 1; i < 10; i++) err = new Error(`level ${i}`, { cause: err });
    createLogger({ write: (l) => lines.push(l) }).warn('deep', { error: err, password: 'hunter2' });
    const text = lines[0] ?? '';
    expect(text).toContain('level 9');
    expect(text).not.toContain('level 4');
    expect(JSON.parse(text).password).toBe('[redacted]');
  });
});
