/**
 * Delivery policy as pure functions and small state machines (clock passed in, unit-tested):
 * when to retry, when an endpoint's circuit lets a request through, and how fast a
 * subscription may be pushed to. Decision 0016.
 */
import type { RetryPolicyRoute } from '@roomcast/routing';

/** Retry-After beyond this is cut to it: a subscriber cannot park an event for a day. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * Milliseconds a Retry-After header asks for (delta-seconds or an HTTP date), or undefined
 * when it is absent or malformed (then the back-off decides).
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export interface RetryInput {
  /** Attempts made so far (the one that just failed included). */
  attempt: number;
  publishedAtMs: number;
  nowMs: number;
  policy: RetryPolicyRoute;
  /** The delivery window: seconds after publish during which attempts may start. */
  ttlSeconds: number;
  retryAfter?: string | null;
}

export type RetryDecision = { kind: 'retry'; delayMs: number; at: number } | { kind: 'give-up'; reason: 'attempts' | 'window' };

/**
 * Exponential back-off with full jitter: the n-th retry waits a uniformly random time in
 * [0, min(maxDelay, initialDelay × multiplier^(n-1))). A valid Retry-After replaces the
 * back-off (capped at MAX_RETRY_AFTER_MS). No retry when the attempt budget is spent or when
 * the retry would start after the window closes.
 */
export function decideRetry(input: RetryInput, random: () => number = Math.random): RetryDecision {
  const { attempt, policy, nowMs } = input;
  if (attempt >= policy.maxAttempts) return { kind: 'give-up', reason: 'attempts' };
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** Math.max(0, attempt - 1));
  const asked = parseRetryAfter(input.retryAfter, nowMs);
  const delayMs = asked !== undefined ? Math.min(asked, MAX_RETRY_AFTER_MS) : Math.floor(random() * ceiling);
  const at = nowMs + delayMs;
  if (at >= input.publishedAtMs + input.ttlSeconds * 1000) return { kind: 'give-up', reason: 'window' };
  return { kind: 'retry', delayMs, at };
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitSettings {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** First open period; doubled after each failed probe, up to maxCooldownMs. */
  cooldownMs: number;
  maxCooldownMs: number;
  /** A probe that has not reported after this long no longer blocks the next one. */
  probeTimeoutMs: number;
}

export const DEFAULT_CIRCUIT: CircuitSettings = { failureThreshold: 5, cooldownMs: 5000, maxCooldownMs: 60_000, probeTimeoutMs: 60_000 };

/**
 * One endpoint's circuit: closed → (N consecutive failures) → open → (cool-down) → half-open,
 * where exactly one probe goes through; its success closes the circuit, its failure opens it
 * again for twice as long.
 */
export class CircuitBreaker {
  readonly #s: CircuitSettings;
  #state: CircuitState = 'closed';
  #failures = 0;
  #cooldown: number;
  #openUntil = 0;
  #probeSince: number | undefined;

  constructor(settings: CircuitSettings = DEFAULT_CIRCUIT) {
    this.#s = settings;
    this.#cooldown = settings.cooldownMs;
  }

  get state(): CircuitState {
    return this.#state;
  }

  /** 0 when a request may go now (in half-open: this one is the probe), else when to ask again. */
  wait(nowMs: number): number {
    if (this.#state === 'closed') return 0;
    if (this.#state === 'open') {
      if (nowMs < this.#openUntil) return this.#openUntil;
      this.#state = 'half-open';
      this.#probeSince = undefined;
    }
    if (this.#probeSince === undefined || nowMs - this.#probeSince >= this.#s.probeTimeoutMs) {
      this.#probeSince = nowMs;
      return 0;
    }
    return nowMs + Math.min(1000, this.#s.cooldownMs);
  }

  record(ok: boolean, nowMs: number): void {
    if (ok) {
      this.#state = 'closed';
      this.#failures = 0;
      this.#cooldown = this.#s.cooldownMs;
      this.#probeSince = undefined;
      return;
    }
    if (this.#state === 'half-open') {
      this.#cooldown = Math.min(this.#s.maxCooldownMs, this.#cooldown * 2);
      this.#open(nowMs);
      return;
    }
    this.#failures++;
    if (this.#state === 'closed' && this.#failures >= this.#s.failureThreshold) this.#open(nowMs);
  }

  #open(nowMs: number): void {
    this.#state = 'open';
    this.#openUntil = nowMs + this.#cooldown;
    this.#probeSince = undefined;
  }
}

/** One breaker per endpoint origin (scheme://host:port), created on first use. */
export class CircuitBreakers {
  readonly #settings: CircuitSettings;
  readonly #byOrigin = new Map<string, CircuitBreaker>();
  readonly #onChange: (origin: string, from: CircuitState, to: CircuitState) => void;

  constructor(onChange: (origin: string, from: CircuitState, to: CircuitState) => void, settings: CircuitSettings = DEFAULT_CIRCUIT) {
    this.#onChange = onChange;
    this.#settings = settings;
  }

  wait(url: string, nowMs: number): number {
    return this.#around(url, (b) => b.wait(nowMs));
  }

  record(url: string, ok: boolean, nowMs: number): void {
    this.#around(url, (b) => b.record(ok, nowMs));
  }

  #around<T>(url: string, fn: (b: CircuitBreaker) => T): T {
    const origin = originOf(url);
    let b = this.#byOrigin.get(origin);
    if (!b) {
      b = new CircuitBreaker(this.#settings);
      this.#byOrigin.set(origin, b);
    }
    const before = b.state;
    const out = fn(b);
    if (b.state !== before) this.#onChange(origin, before, b.state);
    return out;
  }
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid';
  }
}

/**
 * Paces deliveries to `ratePerSec` (GCRA: a burst of up to one second's worth, at least one),
 * answering 0 (go, counted) or the time from which the next delivery may start (not counted).
 */
export class Pacer {
  readonly ratePerSec: number;
  #tat = 0;

  constructor(ratePerSec: number) {
    this.ratePerSec = ratePerSec;
  }

  wait(nowMs: number): number {
    const interval = 1000 / this.ratePerSec;
    const burst = Math.max(1, this.ratePerSec);
    const tat = Math.max(this.#tat, nowMs);
    const allowedAt = tat - (burst - 1) * interval;
    if (allowedAt > nowMs) return allowedAt;
    this.#tat = tat + interval;
    return 0;
  }
}
