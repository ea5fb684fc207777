import { isCallClass } from "../contract/lifecycle.js";
import type { AlertBody } from "../contract/messages.js";
import type { Logger } from "../core/log.js";
import type { Outputs } from "./outputs.js";

/**
 * What the person hears of an alert state just made durable: a call or fall raised → "help has been
 * called"; the cloud's acknowledgement of one → "help is coming". Other kinds and states say nothing.
 * Fire and forget: the returned promise (for tests) never rejects, and an output that throws anyway
 * is swallowed here, so the alert path never waits on or fails because of the speaker.
 */
export function alertFeedback(body: AlertBody, outputs: Outputs): Promise<void> | undefined {
  if (!isCallClass(body.kind)) return undefined;
  const raised = body.state === "raised";
  if (!raised && !(body.state === "acknowledged" && body.cause === "cloud")) return undefined;
  try {
    return Promise.all([
      outputs.say(raised ? "call_confirmed" : "help_coming"),
      outputs.signal(raised ? "call" : "help_coming"),
    ]).then(
      () => {},
      () => {},
    );
  } catch {
    return undefined;
  }
}

/** Renders the prompts ahead, in the background; a failure is logged, never thrown. */
export function prepareOutputs(outputs: Outputs, log: Logger): void {
  try {
    outputs.prepare().catch((err: unknown) => log.error({ err }, "Preparing the outputs failed"));
  } catch (err) {
    log.error({ err }, "Preparing the outputs failed");
  }
}
