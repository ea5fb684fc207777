import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { CommandSender } from "./commands.js";
import type { Decision } from "./decisions.js";
import type { AlertRow, ReceiverStore } from "./store/types.js";

/** What the receiver's parts share: built once by the Receiver and handed to each. */
export interface ReceiverContext {
  store: ReceiverStore;
  clock: Clock;
  log: Logger;
  decide(d: Decision): void;
  commands: CommandSender;
  /**
   * Stores an alert state and, when it changed (or a killed instance left it half handled), writes the
   * decision and queues the webhook.
   */
  alertChanged(row: AlertRow, envelope: unknown): Promise<boolean>;
}
