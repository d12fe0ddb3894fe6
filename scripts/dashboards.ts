/**
 * The Grafana dashboards under infra/grafana/dashboards/, generated from this one source so that
 * every panel is built the same way (datasource, units, template variables, layout):
 *   roomcast-publish.json     the publish path (ingress)
 *   roomcast-delivery.json    push delivery per subscription (dispatcher)
 *   roomcast-pull.json        pull queues and live streams
 *   roomcast-log-sink.json    the message-log sink
 *   roomcast-processes.json   process health of every Roomcast process
 * `node scripts/dashboards.ts` rewrites them and the panel list in infra/README.md; a unit test
 * (dashboards.test.ts) keeps both equal to this source and checks their structure;
 * test/e2e/dashboards.int.test.ts runs every query against a real Prometheus.
 * Only metrics a Roomcast process exports (each service's metrics.ts) may appear here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The uid of the Prometheus datasource in infra/grafana/provisioning/datasources/prometheus.yml. */
export const DATASOURCE_UID = 'roomcast-prometheus';
const DS = { type: 'prometheus', uid: DATASOURCE_UID } as const;

interface Target {
  expr: string;
  legendFormat: string;
}
interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  targets: Target[];
  kind?: 'timeseries' | 'stat';
  /** Stack the series (parts of one total, e.g. outcomes). */
  stacked?: boolean;
}
interface VariableSpec {
  name: string;
  label: string;
  /** Grafana's `label_values(selector, label)`. */
  query: string;
}
interface Section {
  title: string;
  panels: PanelSpec[];
}
interface DashboardSpec {
  uid: string;
  file: string;
  title: string;
  description: string;
  tags: string[];
  variables: VariableSpec[];
  sections: Section[];
}

const t = (expr: string, legendFormat = '__auto'): Target => ({ expr, legendFormat });
/** A series that exists only after its first increment (an error class): 0 instead of "No data" until then. */
const orZero = (expr: string) => `(${expr}) or vector(0)`;
const rate = (metric: string, selector: string, by = '') => `sum${by ? ` by (${by})` : ''} (rate(${metric}{${selector}}[$__rate_interval]))`;
const quantiles = (metric: string, selector: string, by = '', qs = [0.5, 0.95, 0.99]): Target[] =>
  qs.map((q) => t(`histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (rate(${metric}_bucket{${selector}}[$__rate_interval])))`, `p${q * 100}${by ? ` {{${by}}}` : ''}`));

const INSTANCE: VariableSpec = { name: 'instance', label: 'Process', query: 'label_values(roomcast_process_start_time_seconds, instance)' };
const I = 'instance=~"$instance"';

const PUBLISH: DashboardSpec = {
  uid: 'roomcast-publish',
  file: 'roomcast-publish.json',
  title: 'Roomcast · Publish path',
  description: 'Publishes through the ingress: outcomes, latency, produce errors (503), the produce batcher, validation, rate limits and idempotency.',
  tags: ['roomcast', 'ingress'],
  variables: [
    INSTANCE,
    { name: 'room', label: 'Room', query: 'label_values(roomcast_publish_requests_total{instance=~"$instance"}, room)' },
    { name: 'event_type', label: 'Event type', query: 'label_values(roomcast_publish_requests_total{instance=~"$instance", room=~"$room"}, event_type)' },
  ],
  sections: [
    {
      title: 'Requests',
      panels: [
        {
          title: 'Publish requests by outcome',
          description: 'roomcast_publish_requests_total: accepted, replayed, invalid, forbidden, produce_error (503) or the error code.',
          unit: 'reqps',
          stacked: true,
          targets: [t(rate('roomcast_publish_requests_total', `${I}, room=~"$room", event_type=~"$event_type"`, 'outcome'), '{{outcome}}')],
        },
        {
          title: 'Publish latency (accepted)',
          description: 'roomcast_publish_duration_seconds: request received to Kafka acknowledgement (acks=all).',
          unit: 's',
          targets: quantiles('roomcast_publish_duration_seconds', `${I}, room=~"$room", event_type=~"$event_type"`),
        },
        {
          title: 'Publish requests by room and event type',
          description: 'Accepted publishes per room and event type.',
          unit: 'reqps',
          targets: [t(rate('roomcast_publish_requests_total', `${I}, room=~"$room", event_type=~"$event_type", outcome="accepted"`, 'room, event_type'), '{{room}} {{event_type}}')],
        },
        {
          title: 'Publish routes: HTTP status',
          description: 'roomcast_http_requests_total of the publish and batch routes, by status code.',
          unit: 'reqps',
          stacked: true,
          targets: [t(rate('roomcast_http_requests_total', `${I}, route=~".*/pub/v1/.*"`, 'status'), '{{status}}')],
        },
      ],
    },
    {
      title: 'Produce to Kafka',
      panels: [
        {
          title: 'Publishes answered 503 (share of all)',
          description:
            'outcome="produce_error" of roomcast_publish_requests_total against all publishes: every 503 publish.kafka_unavailable, those whose acknowledgement timed out included. The RoomcastProduceErrors alert fires above 1 %.',
          unit: 'percentunit',
          targets: [
            t(
              `(sum (rate(roomcast_publish_requests_total{${I}, room=~"$room", event_type=~"$event_type", outcome="produce_error"}[$__rate_interval])) or vector(0)) / ${rate('roomcast_publish_requests_total', `${I}, room=~"$room", event_type=~"$event_type"`)}`,
              '503 share',
            ),
          ],
        },
        {
          title: 'Produce failures by reason',
          description:
            'roomcast_publish_produce_errors_total: events whose produce request failed or was refused (BatcherOverloadedError, or the Kafka client error). Timeouts are not counted here; see the 503 share.',
          unit: 'ops',
          targets: [t(orZero(rate('roomcast_publish_produce_errors_total', I, 'reason')), '{{reason}}')],
        },
        {
          title: 'Events per produce request',
          description: 'roomcast_publish_batch_records: how many events the batcher sends in one Kafka produce request.',
          unit: 'short',
          targets: quantiles('roomcast_publish_batch_records', I, '', [0.5, 0.99]),
        },
        {
          title: 'Bytes per produce request',
          description: 'roomcast_publish_batch_bytes: mean and p99 of the approximate bytes per produce request.',
          unit: 'bytes',
          targets: [
            t(`sum (rate(roomcast_publish_batch_bytes_sum{${I}}[$__rate_interval])) / sum (rate(roomcast_publish_batch_bytes_count{${I}}[$__rate_interval]))`, 'mean'),
            ...quantiles('roomcast_publish_batch_bytes', I, '', [0.99]),
          ],
        },
      ],
    },
    {
      title: 'Validation, rate limits and idempotency',
      panels: [
        {
          title: 'Refused input by reason',
          description: 'roomcast_publish_validation_failures_total: bodies and batch items refused as bad input.',
          unit: 'ops',
          targets: [t(orZero(rate('roomcast_publish_validation_failures_total', I, 'reason')), '{{reason}}')],
        },
        {
          title: 'Schema validations by path',
          description: 'roomcast_publish_validations_total (inline or worker) and roomcast_publish_validation_refusals_total (budget or memory spent, struck out, busy).',
          unit: 'ops',
          targets: [t(rate('roomcast_publish_validations_total', I, 'path'), '{{path}}'), t(orZero(rate('roomcast_publish_validation_refusals_total', I, 'reason')), 'refused {{reason}}')],
        },
        {
          title: 'Rate limited (429) by limit',
          description: 'roomcast_publish_rate_limited_total by the limit that refused: publisher, room, publisher_bytes.',
          unit: 'ops',
          targets: [t(orZero(rate('roomcast_publish_rate_limited_total', `${I}, room=~"$room"`, 'scope')), '{{scope}}')],
        },
        {
          title: 'Rate limits on the in-process fallback',
          description: 'roomcast_rate_limit_fallback: 1 while Redis is unreachable from an ingress and limits are decided in process memory.',
          unit: 'short',
          kind: 'stat',
          targets: [t(`max (roomcast_rate_limit_fallback{${I}})`, 'fallback')],
        },
        {
          title: 'Known event ids (idempotency)',
          description: 'roomcast_publish_dedup_hits_total: replayed (same payload, original answer), conflict (409), in_progress (409).',
          unit: 'ops',
          targets: [t(orZero(rate('roomcast_publish_dedup_hits_total', `${I}, room=~"$room"`, 'outcome')), '{{outcome}}')],
        },
      ],
    },
  ],
};

const SUB = 'subscription=~"$subscription"';
const DELIVERY: DashboardSpec = {
  uid: 'roomcast-delivery',
  file: 'roomcast-delivery.json',
  title: 'Roomcast · Push delivery',
  description: 'Push delivery per subscription (dispatcher): attempts and errors, consumer lag, windows and held bytes, latency, circuit breakers and dead letters.',
  tags: ['roomcast', 'dispatcher'],
  variables: [INSTANCE, { name: 'subscription', label: 'Subscription', query: 'label_values(roomcast_delivery_attempts_total{instance=~"$instance"}, subscription)' }],
  sections: [
    {
      title: 'Rates and errors',
      panels: [
        {
          title: 'Attempts by outcome',
          description: 'roomcast_delivery_attempts_total: delivered, retry (will be tried again), failed (final), cancelled.',
          unit: 'ops',
          stacked: true,
          targets: [t(rate('roomcast_delivery_attempts_total', `${I}, ${SUB}`, 'outcome'), '{{outcome}}')],
        },
        {
          title: 'Delivered per subscription',
          description: 'Successful attempts per subscription.',
          unit: 'ops',
          targets: [t(rate('roomcast_delivery_attempts_total', `${I}, ${SUB}, outcome="delivered"`, 'subscription'), '{{subscription}}')],
        },
        {
          title: 'Errors by class',
          description: 'Attempts that did not deliver (retry, failed) per subscription, the retries scheduled, and classified records that could not be decrypted.',
          unit: 'ops',
          targets: [
            t(orZero(rate('roomcast_delivery_attempts_total', `${I}, ${SUB}, outcome=~"retry|failed"`, 'subscription, outcome')), '{{subscription}} {{outcome}}'),
            t(orZero(rate('roomcast_delivery_retries_scheduled_total', `${I}, ${SUB}`, 'subscription')), '{{subscription}} retries scheduled'),
            t(orZero(rate('roomcast_delivery_decrypt_failures_total', `${I}, ${SUB}`, 'subscription')), '{{subscription}} decrypt failed'),
          ],
        },
        {
          title: 'Dead letters by reason',
          description: 'roomcast_delivery_dead_lettered_total: events sent to the dead-letter topic (rejected, attempts, window, expired). The RoomcastDeadLetters alert watches it.',
          unit: 'ops',
          targets: [t(orZero(rate('roomcast_delivery_dead_lettered_total', `${I}, ${SUB}`, 'subscription, reason')), '{{subscription}} {{reason}}')],
        },
        {
          title: 'Left out by content filters',
          description: 'roomcast_delivery_filtered_total: records a subscription\'s content filter left out (decision 0028), by delivery mode; they are final at once, never delivered and never logged.',
          unit: 'ops',
          targets: [t(orZero(rate('roomcast_delivery_filtered_total', `${I}, ${SUB}`, 'subscription, mode')), '{{subscription}} {{mode}}')],
        },
      ],
    },
    {
      title: 'Backlog and windows',
      panels: [
        {
          title: 'Consumer lag (queue depth)',
          description: 'roomcast_delivery_queue_depth: records not fetched yet plus fetched records whose delivery is not final, per subscription.',
          unit: 'short',
          targets: [t(`sum by (subscription) (roomcast_delivery_queue_depth{${I}, ${SUB}})`, '{{subscription}}')],
        },
        {
          title: 'Deliveries in flight',
          description: 'roomcast_delivery_in_flight per subscription (at most its maxInFlight) and roomcast_delivery_requests_in_flight (open push requests, all subscriptions).',
          unit: 'short',
          targets: [t(`sum by (subscription) (roomcast_delivery_in_flight{${I}, ${SUB}})`, '{{subscription}}'), t(`sum (roomcast_delivery_requests_in_flight{${I}})`, 'open requests')],
        },
        {
          title: 'Bytes held in windows',
          description: 'roomcast_delivery_held_bytes: estimated bytes of events held in the windows of all push subscriptions of a process (against ROOMCAST_DISPATCH_MEMORY_BYTES).',
          unit: 'bytes',
          targets: [t(`sum by (instance) (roomcast_delivery_held_bytes{${I}})`, '{{instance}}')],
        },
        {
          title: 'Subscriptions with a running consumer',
          description: 'roomcast_delivery_subscriptions_running per process.',
          unit: 'short',
          targets: [t(`sum by (instance) (roomcast_delivery_subscriptions_running{${I}})`, '{{instance}}')],
        },
      ],
    },
    {
      title: 'Latency, circuits and the delivery log',
      panels: [
        {
          title: 'Attempt duration',
          description: 'roomcast_delivery_attempt_duration_seconds: one push attempt, request sent to response read.',
          unit: 's',
          targets: quantiles('roomcast_delivery_attempt_duration_seconds', `${I}, ${SUB}`),
        },
        {
          title: 'Publish to delivery',
          description: 'roomcast_delivery_end_to_end_seconds: time from publish to successful delivery.',
          unit: 's',
          targets: quantiles('roomcast_delivery_end_to_end_seconds', `${I}, ${SUB}`),
        },
        {
          title: 'Circuit breakers',
          description: 'roomcast_delivery_circuit_state per endpoint fingerprint: 0 closed, 1 half-open, 2 open (the dispatcher log maps a fingerprint to its origin). The series appears at the first change.',
          unit: 'short',
          targets: [t(orZero(`max by (endpoint) (roomcast_delivery_circuit_state{${I}})`), '{{endpoint}}')],
        },
        {
          title: 'Delivery-log write failures',
          description: 'roomcast_delivery_log_failures_total: attempts not written to the delivery log or the event status.',
          unit: 'ops',
          targets: [t(rate('roomcast_delivery_log_failures_total', I), 'failures')],
        },
      ],
    },
  ],
};

const PSUB = 'subscription=~"$pull_subscription"';
const SSUB = 'subscription=~"$stream_subscription"';
const PULL: DashboardSpec = {
  uid: 'roomcast-pull',
  file: 'roomcast-pull.json',
  title: 'Roomcast · Pull queues and streams',
  description: 'Pull subscriptions (queues in Redis: depth, leases, acks, dead letters) and live streams (SSE and WebSocket clients, events, disconnects, dropped records).',
  tags: ['roomcast', 'pull', 'streams'],
  variables: [
    INSTANCE,
    { name: 'pull_subscription', label: 'Pull subscription', query: 'label_values(roomcast_pull_fed_total{instance=~"$instance"}, subscription)' },
    { name: 'stream_subscription', label: 'Stream subscription', query: 'label_values(roomcast_stream_events_total{instance=~"$instance"}, subscription)' },
  ],
  sections: [
    {
      title: 'Pull queues',
      panels: [
        {
          title: 'Queue depth by state',
          description: 'roomcast_pull_queue_depth (ready, leased, delayed), read from Redis at scrape: every pull process reports the same queue, so take the max.',
          unit: 'short',
          stacked: true,
          targets: [t(`max by (subscription, state) (roomcast_pull_queue_depth{${I}, ${PSUB}, state!="total"})`, '{{subscription}} {{state}}')],
        },
        {
          title: 'Oldest unacknowledged event',
          description: 'roomcast_pull_oldest_unacked_age_seconds: age since publish of the oldest event not acknowledged yet; 0 when empty.',
          unit: 's',
          targets: [t(`max by (subscription) (roomcast_pull_oldest_unacked_age_seconds{${I}, ${PSUB}})`, '{{subscription}}')],
        },
        {
          title: 'Fed and handed out',
          description: 'roomcast_pull_fed_total (records fed from Kafka into the queue) and roomcast_pull_events_total (events handed out under a lease, redeliveries included).',
          unit: 'ops',
          targets: [t(rate('roomcast_pull_fed_total', `${I}, ${PSUB}`, 'subscription'), '{{subscription}} fed'), t(rate('roomcast_pull_events_total', `${I}, ${PSUB}`, 'subscription'), '{{subscription}} handed out')],
        },
        {
          title: 'Pull requests by outcome',
          description: 'roomcast_pull_requests_total: GovStack pull and the lease route, answered with events or empty.',
          unit: 'reqps',
          stacked: true,
          targets: [t(rate('roomcast_pull_requests_total', `${I}, ${PSUB}`, 'outcome'), '{{outcome}}')],
        },
        {
          title: 'Acks, nacks and extensions',
          description: 'roomcast_pull_settlements_total by operation and outcome (ok, expired, not_held, unknown).',
          unit: 'ops',
          targets: [t(rate('roomcast_pull_settlements_total', `${I}, ${PSUB}`, 'op, outcome'), '{{op}} {{outcome}}')],
        },
        {
          title: 'Lease expiries, dead letters, unopenable records',
          description: 'roomcast_pull_lease_expiries_total, roomcast_pull_dead_lettered_total (ttl_expired, delivery_limit), roomcast_pull_open_failures_total and roomcast_pull_log_records_lost_total (transitions missing from the delivery log).',
          unit: 'ops',
          targets: [
            t(orZero(rate('roomcast_pull_lease_expiries_total', `${I}, ${PSUB}`, 'subscription')), '{{subscription}} lease expired'),
            t(orZero(rate('roomcast_pull_dead_lettered_total', `${I}, ${PSUB}`, 'subscription, reason')), '{{subscription}} dead letter {{reason}}'),
            t(orZero(rate('roomcast_pull_open_failures_total', `${I}, ${PSUB}`, 'subscription')), '{{subscription}} not opened'),
            t(rate('roomcast_pull_log_records_lost_total', I), 'delivery-log records lost'),
          ],
        },
      ],
    },
    {
      title: 'Live streams',
      panels: [
        {
          title: 'Stream clients',
          description: 'roomcast_stream_open: SSE and WebSocket streams open, by transport.',
          unit: 'short',
          stacked: true,
          targets: [t(`sum by (transport) (roomcast_stream_open{${I}, ${SSUB}})`, '{{transport}}')],
        },
        {
          title: 'Events streamed',
          description: 'roomcast_stream_events_total by subscription and transport.',
          unit: 'ops',
          targets: [t(rate('roomcast_stream_events_total', `${I}, ${SSUB}`, 'subscription, transport'), '{{subscription}} {{transport}}')],
        },
        {
          title: 'Streams ended by reason',
          description: 'roomcast_stream_disconnects_total: client_closed, slow_reader (dropped for falling behind), max_duration, subscription_gone, credential_revoked, room_changed, server_stopping, kafka_error, handshake_failed.',
          unit: 'ops',
          targets: [t(rate('roomcast_stream_disconnects_total', I, 'reason'), '{{reason}}')],
        },
        {
          title: 'Dropped and refused',
          description: 'roomcast_stream_records_skipped_total (records not streamed: expired, cancelled, decrypt_failed) and roomcast_stream_refused_total (streams refused at a limit).',
          unit: 'ops',
          targets: [t(orZero(rate('roomcast_stream_records_skipped_total', `${I}, ${SSUB}`, 'reason')), 'skipped {{reason}}'), t(orZero(rate('roomcast_stream_refused_total', I, 'reason')), 'refused {{reason}}')],
        },
        {
          title: 'Bytes buffered for streams',
          description: 'roomcast_stream_buffered_bytes: events waiting in the buffers of all live streams of a process.',
          unit: 'bytes',
          targets: [t(`sum by (instance) (roomcast_stream_buffered_bytes{${I}})`, '{{instance}}')],
        },
      ],
    },
  ],
};

const TOPIC = 'topic=~"$topic"';
const LOG_SINK: DashboardSpec = {
  uid: 'roomcast-log-sink',
  file: 'roomcast-log-sink.json',
  title: 'Roomcast · Message-log sink',
  description: 'The sink writing room topics and the delivery log into the message log (PostgreSQL): lag, rows, write batches, checkpoints and failures.',
  tags: ['roomcast', 'log-sink'],
  variables: [INSTANCE, { name: 'topic', label: 'Topic', query: 'label_values(roomcast_log_sink_lag_records{instance=~"$instance"}, topic)' }],
  sections: [
    {
      title: 'Lag and throughput',
      panels: [
        {
          title: 'Lag in records',
          description: 'roomcast_log_sink_lag_records: records of a topic not written yet (high watermark minus position).',
          unit: 'short',
          targets: [t(`max by (topic) (roomcast_log_sink_lag_records{${I}, ${TOPIC}})`, '{{topic}}')],
        },
        {
          title: 'Lag in seconds',
          description: 'roomcast_log_sink_lag_seconds: age of the last record written, per topic. The RoomcastLogSinkLagging alert fires above 30 s.',
          unit: 's',
          targets: [t(`max by (topic) (roomcast_log_sink_lag_seconds{${I}, ${TOPIC}})`, '{{topic}}')],
        },
        {
          title: 'Rows written by table',
          description: 'roomcast_log_rows_total: rows appended to the message log.',
          unit: 'rowsps',
          stacked: true,
          targets: [t(rate('roomcast_log_rows_total', I, 'table'), '{{table}}')],
        },
        {
          title: 'Records skipped',
          description: 'roomcast_log_sink_skipped_total: records that gave no row (already written, or not a Roomcast record).',
          unit: 'ops',
          targets: [t(orZero(rate('roomcast_log_sink_skipped_total', I, 'reason')), '{{reason}}')],
        },
      ],
    },
    {
      title: 'Writes and checkpoints',
      panels: [
        {
          title: 'Rows per write',
          description: 'roomcast_log_sink_batch_rows: rows per log write transaction.',
          unit: 'short',
          targets: quantiles('roomcast_log_sink_batch_rows', I, '', [0.5, 0.99]),
        },
        {
          title: 'Write duration',
          description: 'roomcast_log_sink_write_seconds: one log write transaction.',
          unit: 's',
          targets: quantiles('roomcast_log_sink_write_seconds', I),
        },
        {
          title: 'Write failures',
          description: 'roomcast_log_sink_write_failures_total: failed write transactions (the batch is read again).',
          unit: 'ops',
          targets: [t(rate('roomcast_log_sink_write_failures_total', I, 'instance'), '{{instance}}')],
        },
        {
          title: 'Checkpoint age',
          description: 'roomcast_log_checkpoint_age_seconds: since a sink last wrote a signed checkpoint, and roomcast_log_checkpoints_total per second.',
          unit: 's',
          targets: [t(`max by (instance) (roomcast_log_checkpoint_age_seconds{${I}})`, '{{instance}} age'), t(rate('roomcast_log_checkpoints_total', I), 'checkpoints/s')],
        },
      ],
    },
  ],
};

const PROCESSES: DashboardSpec = {
  uid: 'roomcast-processes',
  file: 'roomcast-processes.json',
  title: 'Roomcast · Processes',
  description: 'Every Roomcast process: up, memory, CPU, event-loop lag, garbage collection, Kafka connections, handles, HTTP and the routing-contract generation.',
  tags: ['roomcast', 'processes'],
  variables: [INSTANCE],
  sections: [
    {
      title: 'Liveness',
      panels: [
        {
          title: 'Up',
          description: 'up of the roomcast scrape job: 1 while /metrics answers. The RoomcastDown alert fires after a minute at 0.',
          unit: 'short',
          kind: 'stat',
          targets: [t(`up{job="roomcast", ${I}}`, '{{instance}}')],
        },
        {
          title: 'Uptime',
          description: 'Since roomcast_process_start_time_seconds.',
          unit: 's',
          kind: 'stat',
          targets: [t(`time() - roomcast_process_start_time_seconds{${I}}`, '{{instance}}')],
        },
        {
          title: 'Routing-contract generation',
          description: 'roomcast_routing_generation: the generation each process routes with (stragglers stand out); roomcast_routing_contract_refused_total counts contracts whose signature did not verify.',
          unit: 'short',
          targets: [t(`min by (instance) (roomcast_routing_generation{${I}})`, '{{instance}}'), t(rate('roomcast_routing_contract_refused_total', I, 'instance'), '{{instance}} refused')],
        },
        {
          title: 'HTTP requests by status',
          description: 'roomcast_http_requests_total of every route, by status code.',
          unit: 'reqps',
          stacked: true,
          targets: [t(rate('roomcast_http_requests_total', I, 'status'), '{{status}}')],
        },
        {
          title: 'HTTP latency (p99) by route',
          description: 'roomcast_http_request_duration_seconds: request received to response ready.',
          unit: 's',
          targets: quantiles('roomcast_http_request_duration_seconds', I, 'route', [0.99]),
        },
      ],
    },
    {
      title: 'Resources',
      panels: [
        {
          title: 'Resident memory',
          description: 'roomcast_process_resident_memory_bytes (RSS) and the V8 heap in use (roomcast_nodejs_heap_size_used_bytes).',
          unit: 'bytes',
          targets: [t(`roomcast_process_resident_memory_bytes{${I}}`, '{{instance}} RSS'), t(`roomcast_nodejs_heap_size_used_bytes{${I}}`, '{{instance}} heap used')],
        },
        {
          title: 'CPU',
          description: 'roomcast_process_cpu_seconds_total per second (1 = one core busy).',
          unit: 'percentunit',
          targets: [t(`rate(roomcast_process_cpu_seconds_total{${I}}[$__rate_interval])`, '{{instance}}')],
        },
        {
          title: 'Event-loop lag',
          description: 'roomcast_nodejs_eventloop_lag_p99_seconds and _mean_seconds: how late timers fire; high values delay every request of that process.',
          unit: 's',
          targets: [t(`roomcast_nodejs_eventloop_lag_p99_seconds{${I}}`, '{{instance}} p99'), t(`roomcast_nodejs_eventloop_lag_mean_seconds{${I}}`, '{{instance}} mean')],
        },
        {
          title: 'Garbage collection',
          description: 'roomcast_nodejs_gc_duration_seconds: seconds spent in GC per second, by kind.',
          unit: 'percentunit',
          stacked: true,
          targets: [t(`sum by (instance, kind) (rate(roomcast_nodejs_gc_duration_seconds_sum{${I}}[$__rate_interval]))`, '{{instance}} {{kind}}')],
        },
        {
          title: 'Kafka connections',
          description: 'roomcast_kafka_connections: TCP connections to Kafka brokers open in a process (producers, consumers, admin).',
          unit: 'short',
          targets: [t(`sum by (instance) (roomcast_kafka_connections{${I}})`, '{{instance}}')],
        },
        {
          title: 'Handles and file descriptors',
          description: 'roomcast_nodejs_active_handles by type (sum for the total) and roomcast_process_open_fds.',
          unit: 'short',
          targets: [t(`sum by (instance, type) (roomcast_nodejs_active_handles{${I}})`, '{{instance}} {{type}}'), t(`roomcast_process_open_fds{${I}}`, '{{instance}} open fds')],
        },
      ],
    },
  ],
};

export const DASHBOARDS: DashboardSpec[] = [PUBLISH, DELIVERY, PULL, LOG_SINK, PROCESSES];

const WIDTH = 12;
const HEIGHT = 8;

function variable(v: VariableSpec) {
  return {
    name: v.name,
    label: v.label,
    type: 'query',
    datasource: DS,
    query: { qryType: 1, query: v.query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    definition: v.query,
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
    options: [],
  };
}

function panel(p: PanelSpec, id: number, x: number, y: number) {
  const kind = p.kind ?? 'timeseries';
  const custom = kind === 'timeseries' ? { custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: p.stacked ? 30 : 10, showPoints: 'never', stacking: { mode: p.stacked ? 'normal' : 'none', group: 'A' } } } : {};
  return {
    id,
    type: kind,
    title: p.title,
    description: p.description,
    datasource: DS,
    gridPos: { h: HEIGHT, w: WIDTH, x, y },
    fieldConfig: { defaults: { unit: p.unit, ...custom }, overrides: [] },
    options:
      kind === 'timeseries'
        ? { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } }
        : { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'auto' },
    targets: p.targets.map((target, i) => ({ datasource: DS, refId: String.fromCharCode(65 + i), expr: target.expr, legendFormat: target.legendFormat, range: true, editorMode: 'code' })),
  };
}

/** One dashboard as Grafana's JSON model: a row per section, panels two to a line. */
export function dashboard(d: DashboardSpec): Record<string, unknown> {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const section of d.sections) {
    panels.push({ id: id++, type: 'row', title: section.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    section.panels.forEach((p, i) => {
      panels.push(panel(p, id++, (i % 2) * WIDTH, y + Math.floor(i / 2) * HEIGHT));
    });
    y += Math.ceil(section.panels.length / 2) * HEIGHT;
  }
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: d.tags,
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    time: { from: 'now-1h', to: 'now' },
    templating: { list: d.variables.map(variable) },
    annotations: { list: [] },
    links: DASHBOARDS.filter((o) => o.uid !== d.uid).map((o) => ({ type: 'link', title: o.title, url: `/d/${o.uid}`, keepTime: true, includeVars: false })),
    panels,
  };
}

/** A dashboard file as Grafana reads it: the parts the checks look at. */
export interface DashboardJson {
  uid: string;
  title: string;
  templating: { list: Array<{ name: string; type: string; datasource?: { uid?: string }; query: { query: string } | string }> };
  panels: Array<{ id: number; type: string; title: string; datasource?: { uid?: string }; targets?: Array<{ refId: string; expr: string; datasource?: { uid?: string } }> }>;
}

/** Every panel query of a dashboard, with where it comes from (for messages). */
export function panelQueries(d: DashboardJson): Array<{ where: string; expr: string }> {
  return d.panels
    .filter((p) => p.type !== 'row')
    .flatMap((p) => (p.targets ?? []).map((target) => ({ where: `${d.uid} / panel "${p.title}" / ${target.refId}`, expr: target.expr })));
}

/** The template variables of a dashboard in their order (a later one may use an earlier one), with their queries. */
export function variableQueries(d: DashboardJson): Array<{ name: string; where: string; query: string }> {
  return d.templating.list.map((v) => ({ name: v.name, where: `${d.uid} / variable $${v.name}`, query: typeof v.query === 'string' ? v.query : v.query.query }));
}

/** The dashboards and their panels as a Markdown list (infra/README.md carries it; a unit test keeps it current). */
export function dashboardList(): string {
  const lines: string[] = [];
  for (const d of DASHBOARDS) {
    lines.push(`- **${d.title}** (\`${d.file}\`, variables ${d.variables.map((v) => `\`$${v.name}\``).join(', ')}): ${d.description}`);
    for (const section of d.sections) lines.push(`  - ${section.title}: ${section.panels.map((p) => p.title).join('; ')}.`);
  }
  return `${lines.join('\n')}\n`;
}

/** File name under infra/grafana/dashboards/ → its text. */
export function dashboardFiles(): Record<string, string> {
  return Object.fromEntries(DASHBOARDS.map((d) => [d.file, `${JSON.stringify(dashboard(d), null, 2)}\n`]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, text] of Object.entries(dashboardFiles())) writeFileSync(new URL(`../infra/grafana/dashboards/${name}`, import.meta.url), text);
  const readme = new URL('../infra/README.md', import.meta.url);
  writeFileSync(readme, readFileSync(readme, 'utf8').replace(/(<!-- dashboards:start -->\n)[\s\S]*?(<!-- dashboards:end -->)/, (_, start: string, end: string) => `${start}${dashboardList()}${end}`));
}
