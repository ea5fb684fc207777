/**
 * What a button press does beyond counting as activity: a call raises its alert (durable before anything
 * else happens to it, ending a waiting pre-alarm into it); "I am fine" answers the check-in, the
 * pre-alarm and an open inactivity alert; every press is a `button` event.
 */
import type { ButtonPress } from "../core/readings.js";
import type { ButtonAction } from "../profiles/bthome.js";
import type { AlertManager } from "./alerts.js";
import type { Checkin } from "./checkin.js";
import type { LocalTime } from "./local-time.js";
import type { MessageSink } from "./ports.js";
import type { Prealarm } from "./prealarm.js";

export interface PressParts {
  alerts: AlertManager;
  prealarm: Prealarm;
  checkin: Checkin | undefined;
  sink: MessageSink;
  /** Local time now (the check-in's day). */
  local(): LocalTime;
}

export function pressButton(press: ButtonPress, action: ButtonAction | undefined, p: PressParts): void {
  if (action === "call") {
    const evidence = {
      event: press.event,
      ...(press.counter !== undefined ? { counter: press.counter } : {}),
    };
    const call = p.alerts.raise("call", p.prealarm.withEvidence(evidence), press.device);
    p.prealarm.call(call);
  }
  p.sink.putEvent({
    event: "button",
    device: press.device,
    data: { event: press.event, action: action ?? "activity" },
  });
  if (action === "i_am_fine") {
    const done = p.checkin?.pressed(p.local(), press.device);
    if (done) p.sink.putEvent(done);
    p.prealarm.iAmFine(press.device, press.event);
    const open = p.alerts.findOpen("inactivity");
    if (open)
      p.alerts.transition(open.alert, "cleared", "i_am_fine", { by: press.device, event: press.event });
  }
}
