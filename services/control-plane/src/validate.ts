/**
 * Small helpers for checking admin request bodies: every problem is collected with its JSON
 * pointer and thrown together as one `request.validation_failed`.
 */
import { type FieldError, isSegment, RoomcastError } from '@roomcast/core';

export class BodyChecker {
  readonly errors: FieldError[] = [];
  readonly body: Record<string, unknown>;

  constructor(body: unknown) {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '', message: 'must be a JSON object' }] });
    }
    this.body = body as Record<string, unknown>;
  }

  string(name: string, opts: { optional?: boolean; segment?: boolean; max?: number } = {}): string | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) {
      if (!opts.optional) this.errors.push({ pointer: `/${name}`, message: 'is required' });
      return undefined;
    }
    if (typeof v !== 'string') return this.fail(name, 'must be a string');
    if (v.length > (opts.max ?? 256)) return this.fail(name, `must be at most ${opts.max ?? 256} characters`);
    if (opts.segment && !isSegment(v)) return this.fail(name, 'must be 1-63 letters, digits, _ or -, starting with a letter or digit');
    return v;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.body[name];
    if (v === undefined) return fallback;
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    this.fail(name, `must be one of ${allowed.join(', ')}`);
    return fallback;
  }

  object(name: string): Record<string, unknown> | undefined {
    const v = this.body[name];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return this.fail(name, 'must be a JSON object');
    return v as Record<string, unknown>;
  }

  int(name: string, min: number, max: number): number | undefined {
    const v = this.body[name];
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) return this.fail(name, `must be an integer from ${min} to ${max}`);
    return v as number;
  }

  fail(name: string, message: string): undefined {
    this.errors.push({ pointer: `/${name}`, message });
    return undefined;
  }

  /** Throws all collected problems at once. */
  done(): void {
    if (this.errors.length > 0) throw new RoomcastError('request.validation_failed', { errors: this.errors });
  }
}
