/**
 * What the domain modules need of the routing publisher: its interface only, so they depend on
 * no part of how the contract is built (routing-publisher.ts reads from them, not they from it).
 */

export interface RoutingPublisher {
  republish(reason: string): Promise<number>;
}
