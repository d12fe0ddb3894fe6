/**
 * The subscription and room the dispatcher's unit tests deliver for, with what each test needs
 * different passed in. Used by tests only.
 */
import type { RoomRoute, SubscriptionRoute } from '@roomcast/routing';

export function testSub(overrides: Partial<SubscriptionRoute> = {}): SubscriptionRoute {
  return {
    id: 'sub_1',
    roomId: 'room_1',
    eventType: 'newBirth',
    clientId: 'DEV/GOV/REG/app',
    mode: 'PUSH',
    status: 'ACTIVE',
    pushUrl: 'http://127.0.0.1:9/hook',
    signingSecrets: [{ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', notAfter: null }],
    fifo: false,
    ttlSeconds: 3600,
    retry: { maxAttempts: 50, initialDelayMs: 1000, maxDelayMs: 300_000, multiplier: 2 },
    timeoutMs: 10_000,
    maxInFlight: 16,
    rateLimitPerSec: null,
    group: 'g',
    ...overrides,
  };
}

export function testRoom(overrides: Partial<RoomRoute> = {}): RoomRoute {
  return {
    id: 'room_1',
    address: { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' },
    topic: 't',
    urgentTopic: 'u',
    partitions: 1,
    eventTypes: [],
    ...overrides,
  };
}
