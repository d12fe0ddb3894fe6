/**
 * `npm run log -- verify`: recomputes every stream's hash chain from the rows themselves and
 * checks every signed checkpoint on the way; names the first break of each stream. Trusts
 * nothing but the rows, the checkpoints and the public keys (not the sink's `heads`).
 *
 *   row content altered           the row's fields no longer hash to its entry_hash
 *   row does not link             its prev_hash is not the previous row's hash (a row removed or altered before it)
 *   checkpoint mismatch           a signed checkpoint names another hash than the recomputed chain
 *   checkpoint signature invalid  the signature does not verify with the key its id names
 *
 * With `from`, each stream is checked from its first row at or after that time, trusting that
 * row's prev_hash; without, from the stream's genesis (or its oldest row when earlier days were
 * archived and dropped, which the archives table records).
 */
import { canonical, chainHash, genesisHash, type LogKind, streamOf } from './entry.ts';
import { verifyCheckpoint } from './signing.ts';
import { type CheckpointRow, type LogStore, rowValues, streamRows } from './store.ts';

export interface ChainBreak {
  stream: string;
  offset: string;
  problem: string;
}

export interface VerifyReport {
  streams: number;
  rows: number;
  checkpoints: number;
  breaks: ChainBreak[];
  notes: string[];
}

export interface VerifyOptions {
  /** Only streams of these topics (e.g. one room's topic and urgent lane). */
  topics?: string[];
  from?: Date;
  publicKeys: Record<string, string>;
}

export async function verifyLog(store: LogStore, o: VerifyOptions): Promise<VerifyReport> {
  const report: VerifyReport = { streams: 0, rows: 0, checkpoints: 0, breaks: [], notes: [] };
  const streams = await store.query<{ topic: string; kpartition: number; kind: LogKind }>(
    `SELECT DISTINCT topic, kpartition, 'event' AS kind FROM events UNION SELECT DISTINCT topic, kpartition, 'delivery' AS kind FROM deliveries ORDER BY 1, 2`,
    [],
  );
  const archived = (await store.query<{ n: string }>('SELECT count(*) AS n FROM archives', []))[0]?.n !== '0';
  for (const s of streams) {
    if (o.topics && !o.topics.includes(s.topic)) continue;
    report.streams++;
    const broken = await verifyStream(store, s.kind, s.topic, s.kpartition, o, archived, report);
    if (broken) report.breaks.push(broken);
  }
  return report;
}

async function verifyStream(store: LogStore, kind: LogKind, topic: string, partition: number, o: VerifyOptions, archived: boolean, report: VerifyReport): Promise<ChainBreak | undefined> {
  const stream = streamOf(topic, partition);
  const cps = new Map((await store.query<CheckpointRow>('SELECT * FROM checkpoints WHERE stream = $1', [stream])).map((c) => [c.koffset, c]));
  let running: Buffer | undefined = o.from ? undefined : genesisHash(stream);
  let first = true;
  const at = (offset: string, problem: string): ChainBreak => ({ stream, offset, problem });
  for await (const row of streamRows(store, kind, topic, partition, o.from ? { fromTime: o.from } : {})) {
    const offset = String(row.koffset);
    const prev = row.prev_hash as Buffer;
    report.rows++;
    if (first && running && !running.equals(prev)) {
      if (archived) {
        report.notes.push(`${stream}: starts at offset ${offset} (earlier rows archived); checked from there`);
        running = prev;
      } else return at(offset, 'the first row does not chain from the genesis hash (a row before it was removed)');
    }
    first = false;
    if (running && !running.equals(prev)) return at(offset, 'row does not link to the previous row (a row removed or altered before it)');
    const hash = chainHash(prev, canonical(kind, rowValues(kind, row)));
    if (!hash.equals(row.entry_hash as Buffer)) return at(offset, 'row content altered: its fields no longer hash to its entry hash');
    running = hash;
    const cp = cps.get(offset);
    if (cp) {
      report.checkpoints++;
      if (!cp.entry_hash.equals(hash)) return at(offset, 'checkpoint mismatch: the signed hash differs from the recomputed chain');
      const ok = verifyCheckpoint({ stream, offset, entryHash: cp.entry_hash, signedAt: cp.signed_at, keyId: cp.key_id, signature: cp.signature }, o.publicKeys);
      if (!ok) return at(offset, `checkpoint signature invalid (key ${cp.key_id})`);
    }
  }
  return undefined;
}
