/** One connection as the drain sees it: a connection (connection.ts), or a fake in tests. */
export interface DrainLink {
  readonly url: string;
  readonly connected: boolean;
  /** Set once the connection died: refusals are then expected, not warned about. */
  readonly down: boolean;
  /** The broker's receive maximum, when it announced one. */
  readonly receiveMaximum?: number | undefined;
  /** All publishes on it awaiting their PUBACK, the status and replies too (when known): the window. */
  readonly unacknowledged?: number;
  /** Writes what was published so far to the socket now, not at the end of the current call. */
  flush?(): void;
  /**
   * `done` runs at the PUBACK, or with the error that ended the publish; `noSubscribers` is true when
   * the PUBACK said no subscription matches the topic (MQTT 5 reason 0x10; never on 3.1.1).
   */
  publish(
    topic: string,
    payload: string,
    retain: boolean,
    done: (err?: Error, noSubscribers?: boolean) => void,
  ): void;
}
