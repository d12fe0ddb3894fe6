/**
 * The README's commands work from a clone the `postgres` OS user cannot enter (a clone under
 * /root, or any 0700 parent): the cluster then lives in that user's home, one folder per clone.
 * The second test clones this repository into a 0700 folder and runs initdb for it as the
 * server's user, where the clone's own folder fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/infra/config.ts';
import { binDir, postgresUser, serverDir, userCanEnter } from '../../scripts/infra/postgres.ts';

describe('where the PostgreSQL cluster lives', () => {
  it('stays in the clone when the server can reach it, else goes to a folder of its own per clone', () => {
    const user = { home: '/var/lib/postgresql' };
    expect(serverDir('/srv/roomcast', '/srv/roomcast/.local/infra/postgres', user, () => true)).toBe('/srv/roomcast/.local/infra/postgres');
    expect(serverDir('/srv/roomcast', '/srv/roomcast/.local/infra/postgres', undefined, () => false)).toBe('/srv/roomcast/.local/infra/postgres');
    const a = serverDir('/root/roomcast', '/root/roomcast/.local/infra/postgres', user, () => false);
    const b = serverDir('/root/work/roomcast', '/root/work/roomcast/.local/infra/postgres', user, () => false);
    expect(a).toMatch(/^\/var\/lib\/postgresql\/roomcast\/roomcast-[0-9a-f]{12}$/);
    expect(b).not.toBe(a);
    expect(serverDir('/root/roomcast', '/x', user, () => false)).toBe(a);
  });

  const user = process.getuid?.() === 0 ? postgresUser() : undefined;
  const bin = binDir();
  it.skipIf(!user || !bin)('initdb succeeds for a clone in a 0700 folder (skipped unless root with the postgres package installed)', () => {
    if (!user || !bin) return;
    const parent = mkdtempSync(join(tmpdir(), 'roomcast-private-'));
    chmodSync(parent, 0o700);
    const clone = join(parent, 'roomcast');
    let chosen: string | undefined;
    try {
      execFileSync('git', ['clone', '-q', '--depth', '1', `file://${ROOT}`, clone], { stdio: 'ignore' });
      expect(userCanEnter(clone, user)).toBe(false);
      const local = join(clone, '.local', 'infra', 'postgres');
      const initdb = (dataDir: string) => spawnSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--no-locale', '--auth-local=trust'], { uid: user.uid, gid: user.gid, cwd: '/', env: { ...process.env, HOME: '/' }, encoding: 'utf8' });
      // The clone's own folder: the failure new users met.
      mkdirSync(join(local, 'data'), { recursive: true, mode: 0o700 });
      chownSync(join(local, 'data'), user.uid, user.gid);
      const refused = initdb(join(local, 'data'));
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/Permission denied/);

      chosen = serverDir(clone, local, user, () => userCanEnter(clone, user));
      expect(chosen.startsWith(join(user.home, 'roomcast'))).toBe(true);
      for (const d of [join(chosen, '..'), chosen, join(chosen, 'data')]) {
        mkdirSync(d, { recursive: true, mode: 0o700 });
        chownSync(d, user.uid, user.gid);
      }
      const made = initdb(join(chosen, 'data'));
      expect(made.status, made.stderr).toBe(0);
      expect(existsSync(join(chosen, 'data', 'PG_VERSION'))).toBe(true);
    } finally {
      rmSync(parent, { recursive: true, force: true });
      if (chosen) rmSync(chosen, { recursive: true, force: true });
    }
  }, 60_000);
});
