import type { LoadedConfig } from "../config/devices.js";
import type { SmsConfig } from "../config/schema.js";
import type { AlertBody, Envelope, StatusBody } from "../contract/messages.js";
import type { Clock } from "../core/clock.js";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { SqliteOutbox } from "../outbox/index.js";
import { followCellular } from "../pipeline/cellular-alert.js";
import type { Commissioning } from "../pipeline/commissioning.js";
import type { Pipeline } from "../pipeline/pipeline.js";
import type { UplinkSource } from "../uplink/index.js";

/** What the agent holds of the SMS fallback and its supervision, once started (config `sms`). */
export interface CellularPart {
  /** Every alert message written to the outbox. */
  written(env: Envelope<"alert">): void;
  /** Outbox seqs the broker acknowledged. */
  delivered(seqs: readonly number[]): void;
  /** Undefined before the modem's first reading. */
  health(): NonNullable<StatusBody["health"]>["cellular"];
  stop(): void;
}

export interface CellularParts {
  config: LoadedConfig;
  clock: Clock;
  outbox: SqliteOutbox;
  pipeline: Pipeline;
  commissioning: Commissioning;
  log: Logger;
}

/**
 * Starts the SMS fallback where the config has `sms`; else undefined, and no modem code (nor dbus-next)
 * is loaded: the import is dynamic, here.
 */
export async function startCellular(p: CellularParts): Promise<CellularPart | undefined> {
  if (!p.config.sms) return undefined;
  try {
    return await start(p, p.config.sms);
  } catch (e) {
    // The second path must never keep the first from starting: the agent runs without it, loudly.
    p.log.error({ err: e }, `SMS fallback not started: ${errorMessage(e)}`);
    return undefined;
  }
}

async function start(p: CellularParts, sms: SmsConfig): Promise<CellularPart> {
  const { startSmsFallback } = await import("../cellular/index.js");
  const lang = sms.language ?? p.config.outputs.speaker?.language ?? "en";
  return startSmsFallback({
    home: p.config.home.id,
    timeZone: p.config.home.timezone,
    sms,
    language: lang,
    clock: p.clock,
    log: p.log,
    commissioning: () => p.commissioning.state() !== undefined,
    annotate: (seq, record) => p.outbox.annotateQueued(seq, "sms", record),
    late: (alert: AlertBody, record) =>
      p.outbox.putEvent({
        event: "sms_fallback",
        ...(alert.device !== undefined ? { device: alert.device } : {}),
        data: { alert: alert.alert, kind: alert.kind, ...record },
      }),
    // Stopped before the pipeline (agent.ts), so no alert is raised into a stopped pipeline.
    report: (problem) => followCellular(p.pipeline.alerts, problem),
    open: () => p.outbox.openAlerts(),
  });
}

/** The outbox as the uplink sees it, with the broker's acknowledgements also told to `onDelivered`. */
export function deliveryTap(
  source: UplinkSource,
  onDelivered: (seqs: readonly number[]) => void,
): UplinkSource {
  return {
    pending: (limit) => source.pending(limit),
    markDelivered: (seqs) => {
      source.markDelivered(seqs);
      onDelivered(seqs);
    },
    // Telemetry's (the drain defers no alert's mark): the SMS fallback, which follows alerts, is told too.
    markDeliveredLater: (seqs) => {
      if (source.markDeliveredLater) source.markDeliveredLater(seqs);
      else source.markDelivered(seqs);
      onDelivered(seqs);
    },
    ...(source.settle ? { settle: () => source.settle?.() } : {}),
    openAlerts: () => source.openAlerts(),
    onWrite: (listener) => source.onWrite(listener),
    lastSeq: () => source.lastSeq(),
    laneSeqs: () => source.laneSeqs(),
  };
}
