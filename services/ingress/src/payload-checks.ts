/**
 * Input hardening for one publish body (`{eventType, event, key?, id?}`), run by the pipeline
 * after the body shape and before JSON Schema validation, so a hostile payload is refused with
 * its own code before Ajv (or anything downstream) walks it:
 *
 *   - nesting deeper than `maxDepth` (the event object is level 1)  → 400 `publish.too_deep`
 *   - `__proto__` or `constructor` as a property name, anywhere     → 400 `publish.forbidden_key`
 *   - numbers that are not finite (1e400 parses to Infinity) or whose magnitude is beyond
 *     2^53 − 1 (they cannot be told from a rounded integer)        → 400 `publish.unsafe_number`
 *   - strings (values or property names) longer than `maxStringLength` UTF-16 code units
 *                                                                   → 400 `publish.string_too_long`
 *
 * The same walk measures the body (`PayloadSize`: values and string characters), which tells
 * the validator how much work the event's schema may cost on it (validation.ts).
 *
 * The walk is iterative (an explicit stack), so a 10 000-level document cannot exhaust the call
 * stack, and it stops descending at `maxDepth + 1`. Pointers are built only for findings. Every
 * finding is listed (up to `MAX_FINDINGS`) with its JSON pointer; the error code is the one of
 * the first category in the order above. Pure: no I/O, no clock.
 */
import { escapePointerToken, type FieldError, RoomcastError } from '@roomcast/core';

export interface PayloadLimits {
  /** Deepest allowed nesting of the event; the event object itself is level 1. */
  maxDepth: number;
  /** Longest allowed string value or property name, in UTF-16 code units. */
  maxStringLength: number;
}

export const DEFAULT_PAYLOAD_LIMITS: PayloadLimits = { maxDepth: 32, maxStringLength: 64 * 1024 };

/** Property names that pollute prototypes when a consumer merges the event into an object. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor']);

/** Findings beyond this are summarised, so a hostile body cannot inflate the error answer. */
export const MAX_FINDINGS = 20;

export type PayloadReason = 'too_deep' | 'forbidden_key' | 'unsafe_number' | 'string_too_long';

const CODE_OF = {
  too_deep: 'publish.too_deep',
  forbidden_key: 'publish.forbidden_key',
  unsafe_number: 'publish.unsafe_number',
  string_too_long: 'publish.string_too_long',
} as const;

const ORDER: readonly PayloadReason[] = ['too_deep', 'forbidden_key', 'unsafe_number', 'string_too_long'];

export interface Finding extends FieldError {
  reason: PayloadReason;
}

interface Node {
  value: unknown;
  /** Nesting level: the body is 0, the event object 1. */
  depth: number;
  parent: Node | undefined;
  token: string;
}

function pointerOf(node: Node): string {
  const tokens: string[] = [];
  for (let n: Node | undefined = node; n?.parent; n = n.parent) tokens.push(escapePointerToken(n.token));
  return tokens.length === 0 ? '' : `/${tokens.reverse().join('/')}`;
}

/** A number JSON cannot carry faithfully between languages: non-finite or beyond ±(2^53 − 1). */
export function unsafeNumber(v: number): boolean {
  return !Number.isFinite(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER;
}

/** How big a body is, for the validation cost: JSON values, and UTF-16 code units of strings and property names. */
export interface PayloadSize {
  nodes: number;
  chars: number;
}

/** Walks the body and lists every finding (at most MAX_FINDINGS + 1, the last one cut off). */
export function findPayloadProblems(body: unknown, limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS, size: PayloadSize = { nodes: 0, chars: 0 }): Finding[] {
  const findings: Finding[] = [];
  const add = (reason: PayloadReason, node: Node, message: string): boolean => {
    findings.push({ reason, pointer: pointerOf(node), message });
    return findings.length > MAX_FINDINGS;
  };
  const stack: Node[] = [{ value: body, depth: 0, parent: undefined, token: '' }];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    const v = node.value;
    size.nodes++;
    size.chars += node.token.length;
    if (typeof v === 'string') {
      size.chars += v.length;
      if (v.length > limits.maxStringLength && add('string_too_long', node, `is ${v.length} characters; the limit is ${limits.maxStringLength}`)) break;
      continue;
    }
    if (typeof v === 'number') {
      if (unsafeNumber(v) && add('unsafe_number', node, 'must be finite and within ±(2^53 − 1); send larger values as strings')) break;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (node.depth > limits.maxDepth) {
      if (add('too_deep', node, `nests deeper than ${limits.maxDepth} levels`)) break;
      continue;
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth: node.depth + 1, parent: node, token: String(i) });
      continue;
    }
    const keys = Object.keys(v);
    let stop = false;
    for (let i = keys.length - 1; i >= 0 && !stop; i--) {
      const k = keys[i] as string;
      const child: Node = { value: (v as Record<string, unknown>)[k], depth: node.depth + 1, parent: node, token: k };
      if (FORBIDDEN_KEYS.has(k)) stop = add('forbidden_key', child, `property name ${k} is not allowed`);
      else if (k.length > limits.maxStringLength) stop = add('string_too_long', child, `property name is ${k.length} characters; the limit is ${limits.maxStringLength}`);
      else stack.push(child);
    }
    if (stop) break;
  }
  return findings;
}

/** Throws the catalog error for the findings, or returns the body's size when it passes. */
export function checkPayload(body: unknown, limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS): PayloadSize {
  const size: PayloadSize = { nodes: 0, chars: 0 };
  const findings = findPayloadProblems(body, limits, size);
  if (findings.length === 0) return size;
  const reason = ORDER.find((r) => findings.some((f) => f.reason === r)) as PayloadReason;
  const errors: FieldError[] = findings.slice(0, MAX_FINDINGS).map(({ pointer, message }) => ({ pointer, message }));
  const more = findings.length > MAX_FINDINGS ? '; further problems not listed' : '';
  throw new RoomcastError(CODE_OF[reason], { errors, detail: `${findings.length > MAX_FINDINGS ? 'More than ' : ''}${errors.length} problem(s) in the body${more}` });
}

/** The reason label of a payload-check error code, for the validation-failure metric. */
export function payloadReasonOf(code: string): PayloadReason | undefined {
  return ORDER.find((r) => CODE_OF[r] === code);
}
