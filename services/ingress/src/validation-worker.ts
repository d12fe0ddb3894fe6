/**
 * The validation worker (a worker thread started by validation.ts): validates payloads whose
 * schema × size could cost more than the event loop may spend, so that the main thread keeps
 * serving every other tenant while this one works. The main thread holds the time budget and
 * terminates this thread when it is spent; nothing here needs to be interruptible.
 *
 * Protocol (structured-clone messages):
 *   in:  { job, schemaId, schema?: JSON text (sent the first time this worker sees the id), event: JSON text }
 *   out: { ready: true } once, then { job, errors: FieldError[] } | { job, failure: string }
 */
import { parentPort } from 'node:worker_threads';
import type { FieldError } from '@roomcast/core';
import { eventSchemaCompiler } from '@roomcast/registry';
import type { ValidateFunction } from 'ajv';
import { toFieldErrors } from './validation-errors.ts';

export interface WorkerRequest {
  job: number;
  schemaId: number;
  schema?: string;
  event: string;
}

export type WorkerReply = { job: number; errors: FieldError[] } | { job: number; failure: string };

/** Compiled schemas kept by one worker; the oldest is dropped beyond this. */
const MAX_SCHEMAS = 256;

const compiler = eventSchemaCompiler();
const compiled = new Map<number, ValidateFunction>();

function handle(req: WorkerRequest): WorkerReply {
  let fn = compiled.get(req.schemaId);
  if (!fn) {
    if (req.schema === undefined) return { job: req.job, failure: 'schema not loaded' };
    fn = compiler.compile(JSON.parse(req.schema) as Record<string, unknown>);
    compiled.set(req.schemaId, fn);
    if (compiled.size > MAX_SCHEMAS) compiled.delete(compiled.keys().next().value as number);
  }
  const event: unknown = JSON.parse(req.event);
  return { job: req.job, errors: fn(event) ? [] : toFieldErrors(fn.errors) };
}

parentPort?.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = handle(req);
  } catch (err) {
    reply = { job: req.job, failure: (err as Error).message.slice(0, 300) };
  }
  parentPort?.postMessage(reply);
});

// Modules loaded: the main thread starts a job's time budget from here on.
parentPort?.postMessage({ ready: true });
