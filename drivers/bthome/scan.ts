/**
 * Installer tools behind `hearth scan ble`: list the BTHome devices in range, and wait for the button
 * to be pressed so its MAC can be put in the home's config without reading it off a label.
 */
import { type Clock, SystemClock } from "../../src/core/clock.js";
import { ErrorCode, errorMessage, HearthError } from "../../src/core/errors.js";
import { type Logger, silentLogger } from "../../src/core/log.js";
import { SECOND_MS } from "../../src/core/time.js";
import type { AdvertConsumer, BleAdvert, BleScanner } from "../ble/advert.js";
import { BluezScanner, type ScannerStatus } from "../ble/bluez.js";
import { normalizeMac } from "../ble/mac.js";
import { BTHOME_UUID } from "./advertising.js";
import { decodeServiceData } from "./codec.js";
import { keyFromHex } from "./encryption.js";
import { parseDeviceInfo } from "./frame.js";

export interface ScanDevice {
  mac: string;
  rssi?: number;
  encrypted: boolean;
  trigger_based: boolean;
  /** Last decoded value of each object, by BTHome name (battery, temperature, window, …). */
  values: Record<string, number | boolean | string>;
  last_event?: string;
  adverts: number;
  /** Why values are missing: encrypted without a key, wrong key, malformed. */
  problem?: string;
}

export interface ScanOptions {
  seconds: number;
  adapter?: string;
  /** Bind keys by MAC, to show values of encrypted devices. */
  keys?: Record<string, string>;
  clock?: Clock;
  log?: Logger;
  /** Where adverts come from; default the BlueZ scanner on `adapter`. */
  scanner?: (consumer: AdvertConsumer) => BleScanner;
}

class Collector implements AdvertConsumer {
  readonly serviceUuid = BTHOME_UUID;
  readonly devices = new Map<string, ScanDevice>();
  readonly #keys = new Map<string, Uint8Array>();
  onEvent: ((d: ScanDevice, event: string) => void) | undefined;
  /** Identity (packet id/counter) of the last advert that carried an event, per MAC: copies are not presses. */
  readonly #lastEventAdvert = new Map<string, string>();

  constructor(keys: Record<string, string> = {}) {
    for (const [mac, key] of Object.entries(keys)) this.#keys.set(normalizeMac(mac), keyFromHex(key));
  }

  /** The bind key given for this MAC, as 32 hex digits. */
  keyHex(mac: string): string | undefined {
    const k = this.#keys.get(normalizeMac(mac));
    return k ? Buffer.from(k).toString("hex") : undefined;
  }

  advert(a: BleAdvert): void {
    const mac = normalizeMac(a.mac);
    const first = a.serviceData[0];
    if (first === undefined) return;
    const info = parseDeviceInfo(first);
    const d = this.devices.get(mac) ?? {
      mac,
      encrypted: info.encrypted,
      trigger_based: info.triggerBased,
      values: {},
      adverts: 0,
    };
    this.devices.set(mac, d);
    d.adverts++;
    d.encrypted = info.encrypted;
    d.trigger_based = info.triggerBased;
    if (a.rssi !== undefined) d.rssi = a.rssi;
    const key = this.#keys.get(mac);
    try {
      const f = decodeServiceData(a.serviceData, { mac, ...(key ? { key } : {}) });
      delete d.problem;
      for (const o of f.objects) d.values[o.name] = o.value;
      const ident = `${f.counter ?? ""}/${f.packetId ?? Buffer.from(a.serviceData).toString("hex")}`;
      for (const e of f.events) {
        if (e.name !== "button") continue;
        d.last_event = e.event;
        if (this.#lastEventAdvert.get(mac) !== ident) {
          this.#lastEventAdvert.set(mac, ident);
          this.onEvent?.(d, e.event);
        }
      }
    } catch (e) {
      d.problem = errorMessage(e);
    }
  }
}

/** A collector of what is heard, and the scanner (not started yet) that feeds it. */
function listen(options: Omit<ScanOptions, "seconds">): {
  clock: Clock;
  collector: Collector;
  scanner: BleScanner;
} {
  const clock = options.clock ?? new SystemClock();
  const log = options.log ?? silentLogger();
  const collector = new Collector(options.keys);
  const scanner = options.scanner
    ? options.scanner(collector)
    : new BluezScanner({ consumer: collector, clock, log, adapter: options.adapter ?? "hci0" });
  return { clock, collector, scanner };
}

/** A scanner that can say how it is doing (the BlueZ scanner can; the simulator has nothing to say). */
interface ReportsStatus {
  status(): Pick<ScannerStatus, "state" | "acquisitions" | "lastError">;
}

function reportsStatus(s: BleScanner): s is BleScanner & ReportsStatus {
  return typeof (s as Partial<ReportsStatus>).status === "function";
}

/**
 * Why the scan did not listen, when it did not: BlueZ unreachable, adapter absent or powered off for
 * the whole scan. Read before `stop()`. Undefined when scanning ran (or the scanner cannot tell).
 */
function scanProblem(scanner: BleScanner): string | undefined {
  if (!reportsStatus(scanner)) return undefined;
  const st = scanner.status();
  if (st.state === "scanning") return undefined;
  const why = st.lastError ?? `scanner ${st.state}`;
  return st.acquisitions === 0 ? `BLE scanning never started: ${why}` : `BLE scanning stopped: ${why}`;
}

export interface ScanResult {
  devices: ScanDevice[];
  /** Set when the adapter was not listening at the end of the scan (see `scanProblem`). */
  problem?: string;
}

/** Scans for `seconds` and lists every BTHome device heard, loudest first. */
export async function scanBle(options: ScanOptions): Promise<ScanResult> {
  const { clock, collector, scanner } = listen(options);
  await scanner.start();
  let problem: string | undefined;
  try {
    await new Promise<void>((resolve) => clock.setTimeout(resolve, options.seconds * SECOND_MS));
    problem = scanProblem(scanner);
  } finally {
    await scanner.stop();
  }
  const devices = [...collector.devices.values()].sort((a, b) => (b.rssi ?? -999) - (a.rssi ?? -999));
  return { devices, ...(problem !== undefined ? { problem } : {}) };
}

export interface PressFound {
  mac: string;
  event: string;
  encrypted: boolean;
  rssi?: number;
  /** A `devices:` entry for the home's config. */
  snippet: string;
}

export interface WaitForPressOptions extends Omit<ScanOptions, "seconds"> {
  timeoutSeconds: number;
  /** Profile to put in the snippet. Default shelly-blu-button1. */
  profile?: string;
  deviceId?: string;
}

/**
 * Waits for the first button press heard from any BTHome device and returns its MAC and a config
 * snippet. Throws HearthError(Timeout) naming what was heard instead (e.g. encrypted adverts without
 * a key) when no press comes in time.
 */
export async function waitForPress(options: WaitForPressOptions): Promise<PressFound> {
  const { clock, collector, scanner } = listen(options);
  let timer: { cancel(): void } | undefined;
  const found = new Promise<PressFound>((resolve, reject) => {
    collector.onEvent = (d, event) =>
      resolve({
        mac: d.mac,
        event,
        encrypted: d.encrypted,
        ...(d.rssi !== undefined ? { rssi: d.rssi } : {}),
        // An encrypted press was only recognised because its key was given: put that key in the snippet.
        snippet: configSnippet(
          d.mac,
          d.encrypted,
          options.profile,
          options.deviceId,
          d.encrypted ? collector.keyHex(d.mac) : undefined,
        ),
      });
    timer = clock.setTimeout(() => {
      const heard = [...collector.devices.values()];
      const locked = heard.filter((d) => d.problem !== undefined && d.encrypted).map((d) => d.mac);
      const notListening = scanProblem(scanner);
      const hint =
        heard.length === 0 && notListening !== undefined
          ? ` ${notListening}.`
          : locked.length > 0
            ? ` Heard encrypted adverts from ${locked.join(", ")}: give the button's bind key to see its presses.`
            : heard.length > 0
              ? ` Heard ${heard.length} BTHome device(s), none pressed.`
              : " Heard no BTHome device at all: is the adapter up and the button in range?";
      reject(
        new HearthError(`No button press within ${options.timeoutSeconds} s.${hint}`, ErrorCode.Timeout, {
          heard: heard.map((d) => d.mac),
        }),
      );
    }, options.timeoutSeconds * SECOND_MS);
  });
  // If start() throws, `found` may still reject later; mark it handled so that is not an unhandled rejection.
  found.catch(() => {});
  try {
    await scanner.start();
    return await found;
  } finally {
    timer?.cancel();
    collector.onEvent = undefined;
    await scanner.stop();
  }
}

/**
 * A `devices:` entry for the home's config. With the bind key known (the installer gave it to the scan),
 * the entry is complete; an encrypted device without one gets a placeholder that the config check
 * refuses until it is filled in.
 */
export function configSnippet(
  mac: string,
  encrypted: boolean,
  profile = "shelly-blu-button1",
  id = "call-button",
  key?: string,
): string {
  const lines = ["devices:", `  - id: ${id}`, `    profile: ${profile}`, `    mac: "${mac}"`];
  if (encrypted && key !== undefined) lines.push(`    key: "${key.toLowerCase()}"`);
  else if (encrypted) lines.push(`    key: "<32 hex: the bind key set in the vendor app>"`);
  else {
    // Without a key anyone nearby can send its presses; the config check refuses that unless it is said.
    lines.push("    # not encrypted: anyone nearby can send its presses. Set a bind key in the vendor app,");
    lines.push('    # then replace the next line with key: "<32 hex digits>"');
    lines.push("    insecure: true");
  }
  return `${lines.join("\n")}\n`;
}
