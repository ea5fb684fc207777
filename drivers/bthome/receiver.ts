/**
 * Turns BTHome adverts from configured devices into presses, readings and availability.
 *
 * Press semantics: a device repeats one advert many times (and BlueZ reports every copy), so copies are
 * folded into one press by their packet id (plain adverts, ./plain-copies.ts) or encryption counter
 * (encrypted ones, ./counter-guard.ts). With a bind key configured for a MAC, plain adverts from it are
 * rejected, and the counter must go up; the last accepted counter is kept in a `CounterStore` so a
 * recorded advert replayed after a restart is still rejected.
 */

import { BUTTON_EVENTS, type ButtonEvent, type Channel } from "../../src/core/channels.js";
import type { Clock, Timer } from "../../src/core/clock.js";
import { ErrorCode, errorMessage, HearthError, isHearthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import type { Reading, ReadingSink } from "../../src/core/readings.js";
import { MINUTE_MS, SECOND_MS } from "../../src/core/time.js";
import type { AdvertConsumer, BleAdvert } from "../ble/advert.js";
import { normalizeMac } from "../ble/mac.js";
import { WarnLimiter } from "../common/warn-limiter.js";
import { BTHOME_UUID } from "./advertising.js";
import { decodeServiceData } from "./codec.js";
import { CounterGuard, type CounterStore, peekCounter } from "./counter-guard.js";
import { type BthomeDevice, channelsByObjectId, validateBthomeDevice } from "./devices.js";
import { keyFromHex } from "./encryption.js";
import { type BthomeFrame, parseDeviceInfo } from "./frame.js";
import { PlainCopies, plainIdentity } from "./plain-copies.js";

export interface DeviceStats {
  /** New adverts taken in (each once). */
  accepted: number;
  /** Copies of an advert already taken in. */
  duplicates: number;
  presses: number;
  /** Plain adverts from a device with a bind key. */
  rejected_unencrypted: number;
  /** Encrypted adverts whose counter did not go up. */
  rejected_replay: number;
  /** Missing key, wrong key, tampered bytes. */
  rejected_decrypt: number;
  /** Bytes the codec refused (truncated, bad version, …). */
  malformed: number;
  /** Signal strength of the last advert taken in (dBm), where the radio reported it. */
  last_rssi?: number;
}

export interface BthomeReceiverOptions {
  devices: readonly BthomeDevice[];
  sink: ReadingSink;
  clock: Clock;
  log: Logger;
  counters: CounterStore;
  /**
   * Makes what one advert writes (its counter, and the alert and event of its press) durable together,
   * with one fsync (the outbox's `durably`). Default: each write on its own.
   */
  durably?: <T>(fn: () => T) => T;
  /** A device is offline after `factor × advertising_interval_s + margin_s` of silence. Default 2.5. */
  offlineFactor?: number;
  /** Default 30 s: covers a scan restart and radio noise on short intervals. */
  offlineMarginS?: number;
  /**
   * Plain adverts carrying the same packet id within this window are copies of one advert (default
   * 30 s). The packet id is one byte and wraps, so after the window the same id is a new advert.
   */
  duplicateWindowS?: number;
}

interface DeviceState {
  device: BthomeDevice;
  mac: string;
  key?: Uint8Array;
  stats: DeviceStats;
  plainCopies: PlainCopies;
  counterGuard: CounterGuard;
  /** Mono time of the last advert that counts as hearing the device (accepted or a copy of one). */
  lastHeard: number;
  state: "unknown" | "online" | "offline";
  /** Objects of the profile's `channels`, by object id → channel. */
  channelsById: Map<number, Channel>;
}

export class BthomeReceiver implements AdvertConsumer {
  readonly serviceUuid = BTHOME_UUID;
  readonly #o: Required<Omit<BthomeReceiverOptions, "devices">>;
  /** Device state keyed by normalised MAC. */
  readonly #byMac = new Map<string, DeviceState>();
  /** Mono time of the last warning per `${device}/${reason}`, so a flood of bad adverts logs once a minute. */
  readonly #warner: WarnLimiter;
  #timer: Timer | undefined;
  #stopped = true;

  constructor(options: BthomeReceiverOptions) {
    this.#o = {
      sink: options.sink,
      clock: options.clock,
      log: options.log,
      counters: options.counters,
      durably: options.durably ?? ((fn) => fn()),
      offlineFactor: options.offlineFactor ?? 2.5,
      offlineMarginS: options.offlineMarginS ?? 30,
      duplicateWindowS: options.duplicateWindowS ?? 30,
    };
    this.#warner = new WarnLimiter(options.clock, options.log);
    for (const d of options.devices) this.addDevice(d);
  }

  /** Adds (or replaces) a device. Throws ConfigInvalid naming the problems when it cannot be used. */
  addDevice(d: BthomeDevice): void {
    const problems = validateBthomeDevice(d);
    if (problems.length > 0) {
      throw new HearthError(`BTHome device ${d.config.id}: ${problems.join("; ")}`, ErrorCode.ConfigInvalid, {
        device: d.config.id,
      });
    }
    const mac = normalizeMac(d.config.mac);
    const windowMs = this.#o.duplicateWindowS * SECOND_MS;
    this.#byMac.set(mac, {
      device: d,
      mac,
      ...(d.config.key !== undefined ? { key: keyFromHex(d.config.key) } : {}),
      stats: emptyStats(),
      plainCopies: new PlainCopies(windowMs),
      counterGuard: new CounterGuard(mac, this.#o.counters, windowMs),
      lastHeard: this.#o.clock.monotonicMs(),
      state: "unknown",
      channelsById: channelsByObjectId(d.profile),
    });
  }

  removeDevice(id: string): void {
    for (const [mac, s] of this.#byMac) if (s.device.config.id === id) this.#byMac.delete(mac);
  }

  /**
   * Forgets the last accepted counter of a device, so its next encrypted advert is accepted whatever
   * its counter. For the installer, after a device was reset or re-keyed and restarted its counter
   * (its adverts are otherwise rejected as replays, and it goes offline). Returns false for an unknown id.
   */
  resetCounter(id: string): boolean {
    for (const s of this.#byMac.values()) {
      if (s.device.config.id !== id) continue;
      const failed = s.counterGuard.forget();
      this.#o.log.warn(
        { device: id, ...(failed !== undefined ? { err: failed } : {}) },
        "BTHome encryption counter reset by the operator",
      );
      return true;
    }
    return false;
  }

  /** MACs this receiver wants adverts from (for a scanner's filter). */
  macs(): string[] {
    return [...this.#byMac.keys()];
  }

  stats(): Record<string, DeviceStats> {
    const out: Record<string, DeviceStats> = {};
    for (const s of this.#byMac.values()) out[s.device.config.id] = { ...s.stats };
    return out;
  }

  /** Starts the silence check. Silence is measured from start for devices not heard yet. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const now = this.#o.clock.monotonicMs();
    for (const s of this.#byMac.values()) if (s.state === "unknown") s.lastHeard = now;
    const shortest = Math.min(
      ...[...this.#byMac.values()].map((s) => s.device.profile.bthome.advertising_interval_s),
    );
    // A quarter of the shortest interval, within a second and a minute.
    const quarterMs = ((Number.isFinite(shortest) ? shortest : 60) * SECOND_MS) / 4;
    const everyMs = Math.max(SECOND_MS, Math.min(MINUTE_MS, quarterMs));
    this.#timer = this.#o.clock.setInterval(() => this.#checkSilence(), everyMs);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  advert(a: BleAdvert): void {
    // BlueZ writes addresses as the map's keys are written: most adverts, and every copy of a press,
    // are found without normalising (a string that equals a normalised key is normalised).
    const s = this.#byMac.get(a.mac) ?? this.#byMac.get(normalMacOrEmpty(a.mac));
    if (!s) return; // not ours: the installer's scan shows strangers, the agent ignores them
    try {
      this.#handle(s, a.serviceData, a.rssi);
    } catch (e) {
      // The sink is someone else's code; a throw there must not stop the scanner feeding us.
      this.#o.log.error({ err: e, device: s.device.config.id }, "BTHome advert handling failed");
    }
  }

  #handle(s: DeviceState, sd: Uint8Array, rssi: number | undefined): void {
    const id = s.device.config.id;
    const now = this.#o.clock.monotonicMs();
    if (sd.length === 0) {
      s.stats.malformed++;
      this.#warner.warn(id, "empty", "BTHome advert with empty service data ignored", {});
      return;
    }
    const info = parseDeviceInfo(sd[0] as number);
    if (s.key && !info.encrypted && info.version === 2) {
      s.stats.rejected_unencrypted++;
      this.#warner.warn(id, "unencrypted", "Unencrypted BTHome advert rejected: this device has a bind key", {
        rejected_unencrypted: s.stats.rejected_unencrypted,
      });
      return;
    }
    // With a key, look at the (authenticated) counter before spending a decryption on a copy.
    const counter = s.key && info.encrypted ? peekCounter(sd) : undefined;
    if (counter !== undefined) {
      const verdict = s.counterGuard.check(counter, now);
      if (verdict.kind === "copy") {
        s.stats.duplicates++;
        this.#heard(s, now);
        return;
      }
      if (verdict.kind === "replay") {
        s.stats.rejected_replay++;
        this.#warner.warn(
          id,
          "replay",
          "BTHome advert rejected: counter did not increase (a replay, or the device was reset: then reset its counter)",
          {
            counter,
            last_counter: verdict.last,
          },
        );
        return;
      }
    }
    const frame = this.#decode(s, sd);
    if (!frame) return;
    this.#o.durably(() => this.#accept(s, sd, frame, now, rssi));
  }

  /** An advert that decoded: its counter kept (or a plain copy dropped), then passed on. */
  #accept(s: DeviceState, sd: Uint8Array, frame: BthomeFrame, now: number, rssi: number | undefined): void {
    const id = s.device.config.id;
    if (frame.counter !== undefined) {
      // Authenticated: the counter is part of the nonce. Remembered before anything is emitted; a
      // store that cannot keep it (full disk) never costs the press.
      const failed = s.counterGuard.accepted(frame.counter, now);
      if (failed !== undefined)
        this.#o.log.error(
          { err: failed, device: id, counter: frame.counter },
          "BTHome counter could not be stored: kept in memory, press passed on",
        );
    } else if (s.plainCopies.isCopy(plainIdentity(frame, sd), now)) {
      s.stats.duplicates++;
      this.#heard(s, now);
      return;
    }
    s.stats.accepted++;
    if (rssi !== undefined) s.stats.last_rssi = rssi;
    this.#heard(s, now);
    this.#emit(s, frame, now);
  }

  /** Decodes (and decrypts) service data; counts and logs what it refuses. */
  #decode(s: DeviceState, sd: Uint8Array): BthomeFrame | undefined {
    const id = s.device.config.id;
    try {
      return decodeServiceData(sd, { mac: s.mac, ...(s.key ? { key: s.key } : {}) });
    } catch (e) {
      if (isHearthError(e, ErrorCode.FrameDecrypt)) {
        s.stats.rejected_decrypt++;
        this.#warner.warn(id, "decrypt", "BTHome advert failed decryption (no key, wrong key, or tampered)", {
          reason: e.message,
        });
      } else {
        s.stats.malformed++;
        this.#warner.warn(id, "malformed", "Malformed BTHome advert ignored", { reason: errorMessage(e) });
      }
      return undefined;
    }
  }

  /** Passes an accepted advert on: mapped objects as readings, button events as presses. */
  #emit(s: DeviceState, frame: BthomeFrame, now: number): void {
    const id = s.device.config.id;
    if (frame.notes.length > 0) {
      this.#o.log.debug({ device: id, notes: frame.notes }, "BTHome advert decoded with notes");
    }
    const readings: Reading[] = [];
    for (const o of frame.objects) {
      const channel = s.channelsById.get(o.id);
      if (!channel) continue;
      const value = typeof o.value === "boolean" ? (o.value ? 1 : 0) : o.value;
      if (typeof value === "number") readings.push({ device: id, channel, value, mono: now });
    }
    if (readings.length > 0) this.#o.sink.readings(readings);
    const counter = frame.counter ?? frame.packetId;
    for (const ev of frame.events) {
      if (ev.name !== "button" || !isButtonEvent(ev.event)) continue;
      s.stats.presses++;
      this.#o.sink.button({
        device: id,
        event: ev.event,
        mono: now,
        ...(counter !== undefined ? { counter } : {}),
      });
    }
  }

  #heard(s: DeviceState, now: number): void {
    s.lastHeard = now;
    if (s.state !== "online") {
      const reason = s.state === "offline" ? "heard again" : "first advert";
      s.state = "online";
      this.#o.sink.availability(s.device.config.id, "online", reason);
    }
  }

  /** A timer body: a throw (from the sink) is logged, the check runs again next time. */
  #checkSilence(): void {
    if (this.#stopped) return;
    try {
      this.#silence();
    } catch (e) {
      this.#o.log.error({ err: e }, "BTHome silence check failed");
    }
  }

  #silence(): void {
    const now = this.#o.clock.monotonicMs();
    for (const s of this.#byMac.values()) {
      if (s.state === "offline") continue;
      const limitMs =
        (this.#o.offlineFactor * s.device.profile.bthome.advertising_interval_s + this.#o.offlineMarginS) *
        SECOND_MS;
      if (now - s.lastHeard > limitMs) {
        s.state = "offline";
        const silentS = Math.round((now - s.lastHeard) / SECOND_MS);
        this.#o.log.warn(
          { device: s.device.config.id, silent_s: silentS },
          "BTHome device not heard: offline",
        );
        this.#o.sink.availability(
          s.device.config.id,
          "offline",
          `not heard for ${silentS} s (advertising interval ${s.device.profile.bthome.advertising_interval_s} s)`,
        );
      }
    }
  }
}

function emptyStats(): DeviceStats {
  return {
    accepted: 0,
    duplicates: 0,
    presses: 0,
    rejected_unencrypted: 0,
    rejected_replay: 0,
    rejected_decrypt: 0,
    malformed: 0,
  };
}

function isButtonEvent(e: string): e is ButtonEvent {
  return (BUTTON_EVENTS as readonly string[]).includes(e);
}

/** `normalizeMac`, or "" (no device's key) for an address that is not one. */
function normalMacOrEmpty(mac: string): string {
  try {
    return normalizeMac(mac);
  } catch {
    return "";
  }
}
