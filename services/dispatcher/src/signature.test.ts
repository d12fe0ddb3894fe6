import { describe, expect, it } from 'vitest';
import { signatureHeader, signOne, verifySignature } from './signature.ts';

// The published Standard Webhooks test vector: receivers' libraries must accept what we send.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TS = 1614265330;
const BODY = '{"test": 2432232314}';

describe('Standard Webhooks signatures', () => {
  it('reproduces the specification test vector', () => {
    expect(signOne(SECRET, ID, TS, BODY)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('sends one signature per secret during a rotation, each verifiable', () => {
    const other = 'whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=';
    const header = signatureHeader([other, SECRET], ID, TS, BODY);
    expect(header.split(' ')).toHaveLength(2);
    expect(verifySignature(SECRET, ID, TS, BODY, header)).toBe(true);
    expect(verifySignature(other, ID, TS, BODY, header)).toBe(true);
  });

  it('fails verification when body, id or timestamp change', () => {
    const header = signOne(SECRET, ID, TS, BODY);
    expect(verifySignature(SECRET, ID, TS, `${BODY} `, header)).toBe(false);
    expect(verifySignature(SECRET, `${ID}x`, TS, BODY, header)).toBe(false);
    expect(verifySignature(SECRET, ID, TS + 1, BODY, header)).toBe(false);
  });
});
