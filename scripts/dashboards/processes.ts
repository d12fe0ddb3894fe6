import { type DashboardSpec, I, INSTANCE, quantiles, rate, t } from './dsl.ts';

export const PROCESSES: DashboardSpec = {
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
