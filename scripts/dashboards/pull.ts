import { type DashboardSpec, I, INSTANCE, orZero, rate, t } from './dsl.ts';

const PSUB = 'subscription=~"$pull_subscription"';
const SSUB = 'subscription=~"$stream_subscription"';
export const PULL: DashboardSpec = {
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
