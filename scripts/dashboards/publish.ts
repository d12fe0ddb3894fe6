import { type DashboardSpec, I, INSTANCE, orZero, quantiles, rate, t } from './dsl.ts';

export const PUBLISH: DashboardSpec = {
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
