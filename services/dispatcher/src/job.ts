/**
 * What the consumer (worker.ts) and the delivery of one job (runner.ts) share: the job itself and
 * the two narrow interfaces between them. The worker hands jobs to a JobRunner; the runner sees
 * the worker only as a JobHost, so neither module imports the other.
 */
import type { EventHeaders } from '@roomcast/kafka';
import type { RoomRoute, SubscriptionRoute } from '@roomcast/routing';
import type { Job } from './job-scheduler.ts';

export interface DeliveryJob extends Job {
  topic: string;
  partition: number;
  offset: number;
  headers: EventHeaders;
  /** The record's value as stored (Confluent wire format; sealed for classified types). */
  value: Buffer;
  bytes: number;
  publishedAtMs: number;
  attempts: number;
  done: boolean;
  timer?: NodeJS.Timeout | undefined;
  /** Set when the job is final but its dead letter is not in Kafka yet. */
  deadLetter?: { reason: string; detail: string } | undefined;
  lastStatus?: number | null;
}

/** What a runner needs from the consumer that owns the job. */
export interface JobHost {
  /** The subscription and its room as the latest routing contract has them. */
  readonly sub: SubscriptionRoute;
  readonly room: RoomRoute;
  /** The consumer is stopping: outcomes are dropped, the records will be fetched again. */
  readonly stopping: boolean;
  /** The job's outcome is final: its offset may be committed once everything before it is. */
  settle(job: DeliveryJob): void;
  /** The job waits (retry back-off, open circuit, rate limit) without holding a slot. */
  suspend(job: DeliveryJob, untilMs: number): void;
  /** The job is abandoned: no commit, it will be fetched again. */
  release(job: DeliveryJob): void;
  /** A write about a job that must land before its offset is committed. */
  track(write: Promise<void>): void;
}

export interface JobRunner {
  run(host: JobHost, job: DeliveryJob): Promise<void>;
}
