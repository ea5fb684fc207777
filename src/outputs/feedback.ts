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

/** What the pre-alarm tells the person: its question, its cancellation, or its end (signal off). */
export type PrealarmFeedback = "ask" | "cancelled" | "ended";

/**
 * The pre-alarm's prompt through the outputs: "are you all right?" with the prealarm signal; "thank
 * you, cancelled" and the signal off; at its end (an alert raised, a call, dropped) the signal off
 * only. Fire and forget as `alertFeedback`: the promise (for tests) never rejects.
 */
export function prealarmFeedback(what: PrealarmFeedback, outputs: Outputs): Promise<void> | undefined {
  try {
    const parts =
      what === "ask"
        ? [outputs.say("prealarm_ask"), outputs.signal("prealarm")]
        : what === "cancelled"
          ? [outputs.say("prealarm_cancelled"), outputs.signal("off")]
          : [outputs.signal("off")];
    return Promise.all(parts).then(
      () => {},
      () => {},
    );
  } catch {
    return undefined;
  }
}

/**
 * The pipeline's pre-alarm prompt port (structurally `PrealarmPrompt`, src/pipeline/ports.ts) on the
 * outputs: each call returns at once, the outputs start on the next turn of the event loop, after the
 * event was written.
 */
export function prealarmPrompt(outputs: Outputs): {
  readonly audible: boolean;
  ask(prealarm: string): void;
  cancelled(prealarm: string): void;
  ended(prealarm: string): void;
} {
  const later = (what: PrealarmFeedback) => setImmediate(() => void prealarmFeedback(what, outputs));
  return {
    audible: outputs.audible,
    ask: () => later("ask"),
    cancelled: () => later("cancelled"),
    ended: () => later("ended"),
  };
}

/** Renders the prompts ahead, in the background; a failure is logged, never thrown. */
export function prepareOutputs(outputs: Outputs, log: Logger): void {
  try {
    outputs.prepare().catch((err: unknown) => log.error({ err }, "Preparing the outputs failed"));
  } catch (err) {
    log.error({ err }, "Preparing the outputs failed");
  }
}
