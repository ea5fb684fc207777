import { heardEveryByDevice } from "../config/heard-every.js";
import type { HearthConfig } from "../config/schema.js";
import { detectionSchema } from "../config/schema.js";
import type { Envelope } from "../contract/messages.js";
import { detectionOptions, waterResolutionM3 } from "../pipeline/options.js";
import type { ButtonAction } from "../profiles/bthome.js";
import type { DeviceProfile } from "../profiles/schema.js";
import { defaultButtonAction, ReplayEngine } from "./engine.js";
import { parseJsonLine, type ReplayRecord, zoneForOffset } from "./input.js";
import { blankReading, readCommonReading } from "./reading-line.js";

export interface ReplayRunOptions {
  /** The home's config; without it the defaults apply and devices are taken from the input. */
  config?: HearthConfig;
  profiles?: ReadonlyMap<string, DeviceProfile>;
  /** Run the clock on to this time (epoch ms) after the last line. */
  untilMs?: number;
  telemetry?: boolean;
  /**
   * The pre-alarm (`--prealarm [wait]`): on, with the config's wait (true) or this one (ms), whatever
   * the config's `enabled`. Absent: `auto` is off (nobody hears a replay), `on` in the config is honoured.
   */
  prealarm?: true | number;
  emit: (env: Envelope) => void;
  /** A skipped line: its number (from 1) and why. */
  problem: (line: number, reason: string) => void;
}

export interface ReplayResult {
  lines: number;
  skipped: number;
  engine: ReplayEngine | undefined;
}

/** Blank (what `trim` removes, or nothing): skipped. A line of JSON starts with "{", so trim is rarely needed. */
function blank(line: string): boolean {
  return line.length === 0 || (line.charCodeAt(0) !== 0x7b && line.trim().length === 0);
}

/** What a button event means, from the config's device profiles, else the usual meaning. */
function buttonActions(
  config: HearthConfig | undefined,
  profiles: ReadonlyMap<string, DeviceProfile> | undefined,
): (device: string, event: string) => ButtonAction | undefined {
  const byDevice = new Map<string, DeviceProfile | undefined>(
    (config?.devices ?? []).map((d) => [d.id, profiles?.get(d.profile)]),
  );
  return (device, event) => {
    const p = byDevice.get(device);
    if (p?.protocol === "bthome") return p.bthome.actions[event as keyof typeof p.bthome.actions];
    return defaultButtonAction(device, event);
  };
}

/**
 * `hearth replay`: every line through the real pipeline on a virtual clock. Blank lines are ignored;
 * a malformed or out-of-order line is reported and skipped.
 */
export async function runReplay(
  lines: Iterable<string> | AsyncIterable<string | readonly string[]>,
  o: ReplayRunOptions,
): Promise<ReplayResult> {
  const config = o.config;
  const detection = config?.detection ?? detectionSchema.parse({});
  const action = buttonActions(config, o.profiles);
  const expected = config?.devices
    .filter((d) => o.profiles?.get(d.profile)?.protocol !== "bthome")
    .map((d) => d.id);
  let engine: ReplayEngine | undefined;
  let n = 0;
  let skipped = 0;
  // One record read into for every common line: the engine copies what it needs before the next.
  const common = blankReading();
  const step = (line: string): void => {
    n++;
    // parseLine, with the blank check only for lines the common form does not match.
    let rec: ReplayRecord | string;
    if (readCommonReading(line, common)) rec = common;
    else {
      if (blank(line)) return;
      rec = parseJsonLine(line);
    }
    if (typeof rec === "string") {
      skipped++;
      o.problem(n, rec);
      return;
    }
    engine ??= new ReplayEngine({
      home: config?.home.id ?? "replay",
      timeZone: config?.home.timezone ?? zoneForOffset(rec.offsetMin) ?? "UTC",
      // The flag wins over the config (even `off`): the command line asks for it.
      detection: {
        ...detectionOptions(detection),
        ...(o.prealarm !== undefined
          ? { prealarmWaitMs: o.prealarm === true ? detection.prealarm.wait : o.prealarm }
          : {}),
      },
      waterResolutionM3: waterResolutionM3(detection),
      telemetry: o.telemetry ?? false,
      telemetryIntervalMs: o.telemetry ? 0 : (config?.cloud.telemetry_interval ?? 0),
      emit: o.emit,
      buttonAction: action,
      ...(expected ? { expectedDevices: expected } : {}),
      ...(config ? { heardEvery: heardEveryByDevice(config.devices, (p) => o.profiles?.get(p)) } : {}),
      ...(detection.watch !== "normal" ? { watch: detection.watch } : {}),
    });
    const why = engine.push(rec);
    if (why !== undefined) {
      skipped++;
      o.problem(n, why);
    }
  };
  // A plain loop where the input is at hand: `for await` costs a promise and a microtask per line.
  // An array by index: its iterator allocated a result a line here (a profile).
  if (Array.isArray(lines)) for (let i = 0; i < lines.length; i++) step(lines[i] as string);
  else if (Symbol.iterator in lines) for (const line of lines) step(line);
  else
    for await (const item of lines)
      if (typeof item === "string") step(item);
      else for (const line of item) step(line);
  engine?.finish(o.untilMs);
  return { lines: n, skipped, engine };
}
