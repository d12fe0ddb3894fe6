/**
 * Declarative, fail-fast configuration. A service lists the settings it needs; `loadConfig`
 * reads them from an environment object handed in (never the global environment: only composition
 * roots pass that in), collects every problem, and throws one ConfigError listing them all,
 * each saying how to fix it.
 */

type Kind = 'string' | 'int' | 'bool' | 'url' | 'list' | 'secret';

interface SettingBase<K extends Kind> {
  kind: K;
  /** What the setting does, shown in error messages and in .env.example. */
  help: string;
  /** Used when the variable is unset; a setting without a default is required. */
  default?: string;
  /** May stay unset: the value is then undefined (no default, no error). */
  optional?: boolean;
  /** Extra check on the parsed value; return a message to reject it. */
  check?: (value: ValueOf<K>) => string | undefined;
}

type ValueOf<K extends Kind> = K extends 'int'
  ? number
  : K extends 'bool'
    ? boolean
    : K extends 'list'
      ? string[]
      : string;

export type Setting = { [K in Kind]: SettingBase<K> }[Kind];
export type ConfigSpec = Record<string, Setting>;
export type ConfigOf<S extends ConfigSpec> = {
  [N in keyof S]: S[N] extends { optional: true } ? ValueOf<S[N]['kind']> | undefined : ValueOf<S[N]['kind']>;
};

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function parse(name: string, setting: Setting, raw: string): { value?: unknown; problem?: string } {
  switch (setting.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) return { problem: `${name}=${raw} is not an integer. ${setting.help}` };
      return { value: Number(raw) };
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return { value: true };
      if (['0', 'false', 'no', 'off', ''].includes(v)) return { value: false };
      return { problem: `${name}=${raw} is not a boolean; use true or false. ${setting.help}` };
    }
    case 'url': {
      try {
        new URL(raw);
        return { value: raw.replace(/\/+$/, '') };
      } catch {
        return { problem: `${name}=${raw} is not a URL. ${setting.help}` };
      }
    }
    case 'list':
      return { value: raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0) };
    default:
      return { value: raw };
  }
}

export function loadConfig<S extends ConfigSpec>(spec: S, env: Record<string, string | undefined>): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(spec)) {
    const raw = env[name] ?? setting.default;
    if (raw === undefined || (raw === '' && setting.kind !== 'bool')) {
      if (setting.optional) continue;
      problems.push(`${name} is required but not set. ${setting.help}`);
      continue;
    }
    const { value, problem } = parse(name, setting, raw);
    if (problem) {
      problems.push(problem);
      continue;
    }
    const rejected = (setting.check as ((v: unknown) => string | undefined) | undefined)?.(value);
    if (rejected) {
      const shown = setting.kind === 'secret' ? '(hidden)' : raw;
      problems.push(`${name}=${shown}: ${rejected}. ${setting.help}`);
      continue;
    }
    out[name] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

/** Renders a spec as commented `.env` lines: the same text documents and configures. */
export function describeConfig(spec: ConfigSpec): string {
  return Object.entries(spec)
    .map(([name, s]) => {
      if (s.default !== undefined) return `# ${s.help}\n${name}=${s.default}`;
      return `# ${s.help} (${s.optional ? 'optional' : 'required'})\n# ${name}=`;
    })
    .join('\n\n');
}

export const portCheck = (v: number): string | undefined => (v >= 0 && v <= 65535 ? undefined : 'must be a port between 0 and 65535');

/** A `check` for PostgreSQL URL settings: another scheme (mysql://…) would fail later with a driver error. */
export const postgresUrlCheck = (v: string): string | undefined => (/^postgres(ql)?:\/\//i.test(v) ? undefined : 'must be a postgresql:// URL');
