import { type DashboardSpec, I, INSTANCE, orZero, quantiles, rate, t } from './dsl.ts';

const SUB = 'subscription=~"$subscription"';
export const DELIVERY: DashboardSpec = {
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
