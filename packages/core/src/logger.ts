/**
 * Structured JSON logs: a constant message plus fields, one line per entry. Field names that
 * usually carry secrets or payloads are redacted here, as a last line of defence — callers
 * should not pass them in the first place.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const REDACTED = new Set(['authorization', 'apikey', 'api_key', 'secret', 'password', 'payload', 'event', 'body', 'token', 'signingsecret']);

/** An error as a log field: name, message, code, stack and its `cause` chain (a few levels deep). */
function serialiseError(err: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if ('code' in err) out.code = (err as { code: unknown }).code;
  if (err.stack) out.stack = err.stack.split('\n').slice(0, 12).join('\n');
  const cause = (err as { cause?: unknown }).cause;
  if (cause !== undefined && depth < 3) out.cause = cause instanceof Error ? serialiseError(cause, depth + 1) : String(cause).slice(0, 500);
  if (err instanceof AggregateError && depth < 3) out.errors = err.errors.slice(0, 3).map((e: unknown) => (e instanceof Error ? serialiseError(e, depth + 1) : String(e).slice(0, 500)));
  return out;
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) return serialiseError(value, 0);
  return value;
}

export function createLogger(options: { level?: LogLevel; base?: LogFields; write?: (line: string) => void } = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const base = options.base ?? {};

  const emit = (level: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void => {
    if (LEVELS[level] < threshold) return;
    const entry: LogFields = { time: new Date().toISOString(), level, msg, ...base };
    if (fields) {
      for (const [k, v] of Object.entries(fields)) {
        entry[k] = REDACTED.has(k.toLowerCase()) ? '[redacted]' : serialise(v);
      }
    }
    write(`${JSON.stringify(entry)}\n`);
  };

  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}

export const silentLogger: Logger = createLogger({ level: 'silent' });
