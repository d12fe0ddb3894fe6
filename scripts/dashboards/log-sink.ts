import { type DashboardSpec, I, INSTANCE, orZero, quantiles, rate, t } from './dsl.ts';

const TOPIC = 'topic=~"$topic"';
export const LOG_SINK: DashboardSpec = {
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
