/** The push section's tables for `npm run bench` (measured by push.ts). */
import type { PushReport } from './push.ts';
import { grid } from './report.ts';

const f = (v: number, d = 0): string => (Number.isFinite(v) ? v.toFixed(d) : '-');

export function pushTables(r: PushReport): string {
  const tput = grid(
    ['scenario', 'maxInFlight', 'FIFO', 'events', 'delivered', 'dup', 'reordered', 'deliveries/s', 'baseline req/s', 'ratio', 'start ms', 'cpu %'],
    r.throughput.map((t) => [
      'push-throughput',
      String(t.inFlight),
      t.fifo ? 'on' : 'off',
      String(t.events),
      String(t.delivered),
      String(t.duplicates),
      String(t.reordered),
      f(t.perSecond),
      f(t.baselinePerSecond),
      `${f((t.perSecond / t.baselinePerSecond) * 100, 1)} %`,
      f(t.startMs),
      f(t.cpuPct),
    ]),
  );
  const lat = grid(
    ['scenario', 'rate/s', 'scheduled', 'accepted', 'delivered', 'errors', 'p50 ms', 'p99 ms', 'p999 ms', 'max ms'],
    r.latency.map((l) => ['push-e2e', String(l.rate), String(l.scheduled), String(l.accepted), String(l.delivered), String(l.errors), f(l.p50Ms, 1), f(l.p99Ms, 1), f(l.p999Ms, 1), f(l.maxMs, 1)]),
  );
  const fan = grid(
    ['scenario', 'subs', 'setup s', 'ready s', 'events', 'deliveries', 'dup', 'publish s', 'complete s', 'deliveries/s', 'peak RSS MiB', 'Kafka conns', 'consumers'],
    r.fanout.map((x) => [
      'push-fanout',
      String(x.subscriptions),
      f(x.setupMs / 1000, 2),
      `${f(x.readyMs / 1000, 2)}${x.ready < x.subscriptions ? ` (${x.ready} ready)` : ''}`,
      String(x.events),
      `${x.delivered}/${x.subscriptions * x.events}`,
      String(x.duplicates),
      f(x.publishMs / 1000, 2),
      f(x.completeMs / 1000, 2),
      f(x.perSecond),
      f(x.rssMb),
      String(x.kafkaConnections),
      String(x.consumers),
    ]),
  );
  const head = `push delivery (delivery body ${r.bodyBytes} bytes; ratio = deliveries/s ÷ bare undici requests/s at concurrency maxInFlight, measured just before; load average ${f(r.load[0], 1)} → ${f(r.load[1], 1)})`;
  return [head, tput, '', lat, '', fan].join('\n');
}

