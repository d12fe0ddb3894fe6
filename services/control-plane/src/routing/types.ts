/**
 * What the domain modules need of the routing publisher: its interface only, so they depend on
 * no part of how the contract is built (routing-publisher.ts reads from them, not they from it).
 */

/** A committed change and the routing generation published after it (null: routing did not change). */
export interface Republished<T, G extends number | null = number> {
  result: T;
  generation: G;
}

export interface RoutingPublisher {
  /**
   * Builds the contract from what is committed now and publishes it as the next generation. While
   * a build runs, the call waits for the next one, which it shares with every call made meanwhile.
   */
  republish(reason: string): Promise<number>;
  /**
   * The one way a write reaches the data plane: runs `change` (which commits its own writes) and
   * then republishes with `reason` — fixed, or made from the change's result. A change that throws
   * publishes nothing. A reason function answering `undefined` says routing did not change: no
   * generation is published and `generation` is null.
   */
  changeAndRepublish<T>(reason: string | ((result: T) => string), change: () => Promise<T>): Promise<Republished<T>>;
  changeAndRepublish<T>(reason: (result: T) => string | undefined, change: () => Promise<T>): Promise<Republished<T, number | null>>;
}
