/**
 * Ajv's errors as the API's field errors (JSON pointer + message), shared by the inline
 * validators and the validation worker. At most MAX_FIELD_ERRORS are listed: a payload of 8 000
 * bad items must not build an 8 000-entry problem document.
 */
import type { FieldError } from '@roomcast/core';
import type { ErrorObject } from 'ajv';

export const MAX_FIELD_ERRORS = 100;

export function toFieldErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  const list = errors ?? [];
  const out: FieldError[] = [];
  for (const e of list.slice(0, MAX_FIELD_ERRORS)) {
    const missing = e.keyword === 'required' ? `/${String((e.params as { missingProperty?: string }).missingProperty ?? '')}` : '';
    const extra = e.keyword === 'additionalProperties' ? `/${String((e.params as { additionalProperty?: string }).additionalProperty ?? '')}` : '';
    out.push({ pointer: `${e.instancePath}${missing}${extra}`, message: e.message ?? e.keyword });
  }
  if (list.length > MAX_FIELD_ERRORS) out.push({ pointer: '', message: `${list.length - MAX_FIELD_ERRORS} further problems not listed` });
  return out;
}
