import type { SmsConfig } from "../config/schema.js";
import type { AlertBody, Envelope } from "../contract/messages.js";
import type { StoredMessage } from "../contract/stored.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import { SmsFallback, type SmsRecord } from "./fallback.js";
import { ModemManagerClient } from "./modem-manager.js";
import { alertSms, type SmsLanguage } from "./sms-text.js";
import { type CellularHealth, CellularWatch } from "./supervision.js";
import type { ModemPort } from "./types.js";

export { SMS_EVIDENCE, SmsFallback, type SmsRecord } from "./fallback.js";
export { ModemManagerClient, modemStatus } from "./modem-manager.js";
export { alertSms, type SmsLanguage, testSms } from "./sms-text.js";
export { type CellularHealth, CellularWatch } from "./supervision.js";
export type { CellularStatus, ModemPort } from "./types.js";

export interface SmsFallbackSetup {
  home: string;
  timeZone: string;
  sms: SmsConfig;
  language: SmsLanguage;
  clock: Clock;
  log: Logger;
  commissioning: () => boolean;
  annotate: (seq: number, record: SmsRecord) => boolean;
  late: (alert: AlertBody, record: SmsRecord) => void;
  /** The modem's problem, or undefined when it is usable again (the agent's `monitoring_degraded`). */
  report: (problem: Record<string, unknown> | undefined) => void;
  /** The open alerts' latest messages, to take up what waited across a restart. */
  open: () => StoredMessage[];
  /** Default: ModemManager on the system bus. */
  modem?: ModemPort;
}

/** The SMS fallback and the modem's supervision, started; what the agent holds of them. */
export function startSmsFallback(s: SmsFallbackSetup): {
  written(env: Envelope<"alert">): void;
  delivered(seqs: readonly number[]): void;
  health(): CellularHealth | undefined;
  stop(): void;
} {
  const modem = s.modem ?? new ModemManagerClient();
  const log = s.log.child({ module: "sms" });
  const fallback = new SmsFallback({
    numbers: s.sms.numbers,
    afterMs: s.sms.after,
    clock: s.clock,
    timeZone: s.timeZone,
    send: (to, text) => modem.send(to, text),
    text: (alert) => alertSms(s.home, alert, s.language),
    commissioning: s.commissioning,
    annotate: s.annotate,
    late: s.late,
    log,
  });
  const watch = new CellularWatch({
    modem,
    clock: s.clock,
    pollMs: s.sms.poll,
    degradedAfterMs: s.sms.degraded_after,
    report: s.report,
    log,
  });
  fallback.restore(s.open());
  watch.start();
  log.info({ numbers: s.sms.numbers.length, after_ms: s.sms.after }, "SMS fallback on");
  return {
    written: (env) => fallback.written(env),
    delivered: (seqs) => fallback.delivered(seqs),
    health: () => watch.health(),
    stop: () => {
      watch.stop();
      fallback.stop();
      modem.close();
    },
  };
}
