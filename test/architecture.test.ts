/**
 * The shape of the tree, checked: inside every package and service, modules import one another
 * without cycles (type-only imports included; e.g. the control plane's domain modules depend on
 * routing/types.ts, never on the routing publisher that reads them); packages never import a
 * service; every service has its settings in src/config.ts, its unit in one exported
 * `<name>Unit` and a main.ts that calls it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const homes = ['packages', 'services'].flatMap((top) => readdirSync(join(repo, top)).map((name) => join(repo, top, name, 'src')));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every cycle met by a depth-first walk, as `a.ts -> b.ts -> a.ts`. */
function cycles(graph: Map<string, string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === 'open') found.push([...stack.slice(stack.indexOf(dep)), dep].map((f) => relative(repo, f)).join(' -> '));
      else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1] as string);

describe('the tree', () => {
  it('has no import cycle inside any package or service', () => {
    let modules = 0;
    for (const home of homes) {
      const files = sources(home).filter((f) => !f.includes(`${join('src', 'generated')}`));
      const graph = new Map(files.map((f) => [f, importsOf(f).filter((i) => i.startsWith('.')).map((i) => resolve(dirname(f), i)).filter((d) => files.includes(d))]));
      modules += graph.size;
      expect(cycles(graph), relative(repo, home)).toEqual([]);
    }
    expect(modules).toBeGreaterThan(200);
  });

  it('has packages that never import a service', () => {
    const services = readdirSync(join(repo, 'services')).map((s) => `@roomcast/${s === 'all' ? 'all' : s}`);
    const upward = homes
      .filter((h) => h.includes(`${join(repo, 'packages')}`))
      .flatMap((h) => sources(h).flatMap((f) => importsOf(f).filter((i) => services.includes(i)).map((i) => `${relative(repo, f)} imports ${i}`)));
    expect(upward).toEqual([]);
  });

  it('gives every service its config spec, one exported unit function and a main.ts that calls it', () => {
    for (const name of readdirSync(join(repo, 'services')).filter((s) => s !== 'all')) {
      const src = join(repo, 'services', name, 'src');
      const camel = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      const index = readFileSync(join(src, 'index.ts'), 'utf8');
      expect(readFileSync(join(src, 'config.ts'), 'utf8'), `${name}/src/config.ts`).toMatch(/export const \w+ConfigSpec = /);
      expect(index, `${name}/src/index.ts exports ${camel}Unit`).toMatch(new RegExp(`\\b${camel}Unit\\b`));
      expect(readFileSync(join(src, 'main.ts'), 'utf8'), `${name}/src/main.ts calls ${camel}Unit`).toMatch(new RegExp(`\\b${camel}Unit\\(`));
    }
  });
});
