/**
 * Turns BTHome adverts from configured devices into presses, readings and availability.
 *
 * Press semantics: a device repeats one advert many times (and BlueZ reports every copy), so copies are
 * folded into one press by their packet id (plain adverts) or encryption counter (encrypted ones). With a
 * bind key configured for a MAC, plain adverts from it are rejected, and the counter must go up; the
 * last accepted counter is kept in a `CounterStore` so a recorded advert replayed after a restart is
 * still rejected.
 */

import { BUTTON_EVENTS, type ButtonEvent, CHANNELS, type Channel } from "../../src/core/channels.js";
import type { Clock, Timer } from "../../src/core/clock.js";
import { ErrorCode, errorMessage, HearthError, isHearthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import type { Reading, ReadingSink } from "../../src/core/readings.js";
import type { BthomeProfile } from "../../src/profiles/bthome.js";
import type { AdvertConsumer, BleAdvert } from "../ble/advert.js";
import { type BthomeFrame, decodeServiceData, keyFromHex, normalizeMac, parseDeviceInfo } from "./codec.js";
import { OBJECTS } from "./objects.js";

/** Bound on remembered plain adverts per device (a packet id has 256 values). */
const MAX_RECENT_PLAIN = 256;

/** Where the last accepted encryption counter of each MAC survives restarts (SQLite in the agent). */
export interface CounterStore {
  get(mac: string): number | undefined;
  set(mac: string, counter: number): void;
}

export class MemoryCounterStore implements CounterStore {
  readonly #m = new Map<string, number>();
  get(mac: string): number | undefined {
    return this.#m.get(mac);
  }
  set(mac: string, counter: number): void {
    this.#m.set(mac, counter);
  }
}

/** One BTHome device of the home's config. */
export interface BthomeDeviceConfig {
  id: string;
  profile: string;
  mac: string;
  /** Bind key, 32 hex characters. */
  key?: string;
  adapter?: string;
}

export interface BthomeDevice {
  config: BthomeDeviceConfig;
  profile: BthomeProfile;
}

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
}

export interface BthomeReceiverOptions {
  devices: readonly BthomeDevice[];
  sink: ReadingSink;
  clock: Clock;
  log: Logger;
  counters: CounterStore;
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
  /**
   * Plain adverts accepted within the duplicate window: identity (packet id, or the payload bytes when
   * there is none) → mono time accepted. A set, not just the last one: a late echo of the previous press
   * can arrive after the next press has started.
   */
  recentPlain: Map<string, number>;
  /** Mono time the last encrypted advert was accepted (this run only). */
  lastCounterMono?: number;
  /** Mono time of the last advert that counts as hearing the device (accepted or a copy of one). */
  lastHeard: number;
  state: "unknown" | "online" | "offline";
  /** Objects of the profile's `channels`, by object id → channel. */
  channelsById: Map<number, Channel>;
}

/** Checks one device entry against its profile; returns problems as text, empty when usable. */
export function validateBthomeDevice(d: BthomeDevice): string[] {
  const problems: string[] = [];
  try {
    normalizeMac(d.config.mac);
  } catch (e) {
    problems.push(`${d.config.id}: mac: ${errorMessage(e)}`);
  }
  if (d.config.key !== undefined) {
    try {
      keyFromHex(d.config.key);
    } catch (e) {
      problems.push(`${d.config.id}: key: ${errorMessage(e)}`);
    }
  }
  for (const [name, channel] of Object.entries(d.profile.bthome.channels)) {
    const specs = [...OBJECTS.values()].filter((s) => s.name === name);
    if (specs.length === 0) {
      problems.push(`${d.profile.id}: channels.${name}: no BTHome object is called ${JSON.stringify(name)}`);
    } else if (!specs.some((s) => s.unit === CHANNELS[channel].unit)) {
      problems.push(
        `${d.profile.id}: channels.${name}: unit ${specs.map((s) => JSON.stringify(s.unit)).join("/")} does not match channel ${channel} (${JSON.stringify(CHANNELS[channel].unit)})`,
      );
    }
  }
  return problems;
}

export class BthomeReceiver implements AdvertConsumer {
  readonly #o: Required<Omit<BthomeReceiverOptions, "devices">>;
  /** Device state keyed by normalised MAC. */
  readonly #byMac = new Map<string, DeviceState>();
  /** Mono time of the last warning per `${device}/${reason}`, so a flood of bad adverts logs once a minute. */
  readonly #lastWarn = new Map<string, number>();
  #timer: Timer | undefined;
  #stopped = true;

  constructor(options: BthomeReceiverOptions) {
    this.#o = {
      sink: options.sink,
      clock: options.clock,
      log: options.log,
      counters: options.counters,
      offlineFactor: options.offlineFactor ?? 2.5,
      offlineMarginS: options.offlineMarginS ?? 30,
      duplicateWindowS: options.duplicateWindowS ?? 30,
    };
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
    const channelsById = new Map<number, Channel>();
    for (const [name, channel] of Object.entries(d.profile.bthome.channels)) {
      for (const s of OBJECTS.values()) {
        if (s.name === name && s.unit === CHANNELS[channel].unit) channelsById.set(s.id, channel);
      }
    }
    this.#byMac.set(mac, {
      device: d,
      mac,
      ...(d.config.key !== undefined ? { key: keyFromHex(d.config.key) } : {}),
      stats: emptyStats(),
      recentPlain: new Map(),
      lastHeard: this.#o.clock.monotonicMs(),
      state: "unknown",
      channelsById,
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
      // -1: below any uint32 counter; the store interface has no delete.
      this.#o.counters.set(s.mac, -1);
      delete s.lastCounterMono;
      this.#o.log.warn({ device: id }, "BTHome encryption counter reset by the operator");
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
    const everyMs = Math.max(1000, Math.min(60_000, (Number.isFinite(shortest) ? shortest : 60) * 250));
    this.#timer = this.#o.clock.setInterval(() => this.#checkSilence(), everyMs);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  advert(a: BleAdvert): void {
    let mac: string;
    try {
      mac = normalizeMac(a.mac);
    } catch {
      return;
    }
    const s = this.#byMac.get(mac);
    if (!s) return; // not ours: the installer's scan shows strangers, the agent ignores them
    try {
      this.#handle(s, a.serviceData);
    } catch (e) {
      // The sink is someone else's code; a throw there must not stop the scanner feeding us.
      this.#o.log.error({ err: e, device: s.device.config.id }, "BTHome advert handling failed");
    }
  }

  #handle(s: DeviceState, sd: Uint8Array): void {
    const id = s.device.config.id;
    const now = this.#o.clock.monotonicMs();
    if (sd.length === 0) {
      s.stats.malformed++;
      this.#warn(id, "empty", "BTHome advert with empty service data ignored", {});
      return;
    }
    const info = parseDeviceInfo(sd[0] as number);
    if (s.key && !info.encrypted && info.version === 2) {
      s.stats.rejected_unencrypted++;
      this.#warn(id, "unencrypted", "Unencrypted BTHome advert rejected: this device has a bind key", {
        rejected_unencrypted: s.stats.rejected_unencrypted,
      });
      return;
    }
    // With a key, look at the (authenticated) counter before spending a decryption on a copy.
    if (s.key && info.encrypted && sd.length >= 9) {
      const counter = Buffer.from(sd.buffer, sd.byteOffset, sd.byteLength).readUInt32LE(sd.length - 8);
      const last = this.#o.counters.get(s.mac);
      const windowMs = this.#o.duplicateWindowS * 1000;
      const recent = s.lastCounterMono !== undefined && now - s.lastCounterMono <= windowMs;
      if (last !== undefined && counter === last && recent) {
        s.stats.duplicates++;
        this.#heard(s, now);
        return;
      }
      // The same counter long after (or after a restart) is a recording played back, not a copy.
      if (last !== undefined && counter <= last) {
        s.stats.rejected_replay++;
        this.#warn(
          id,
          "replay",
          "BTHome advert rejected: counter did not increase (a replay, or the device was reset: then reset its counter)",
          {
            counter,
            last_counter: last,
          },
        );
        return;
      }
    }
    let frame: BthomeFrame;
    try {
      frame = decodeServiceData(sd, { mac: s.mac, ...(s.key ? { key: s.key } : {}) });
    } catch (e) {
      if (isHearthError(e, ErrorCode.FrameDecrypt)) {
        s.stats.rejected_decrypt++;
        this.#warn(id, "decrypt", "BTHome advert failed decryption (no key, wrong key, or tampered)", {
          reason: e.message,
        });
      } else {
        s.stats.malformed++;
        this.#warn(id, "malformed", "Malformed BTHome advert ignored", { reason: errorMessage(e) });
      }
      return;
    }
    if (frame.counter !== undefined) {
      // Authenticated: the counter is part of the nonce. Remember it before emitting anything.
      this.#o.counters.set(s.mac, frame.counter);
      s.lastCounterMono = now;
    } else {
      const ident =
        frame.packetId !== undefined ? `p${frame.packetId}` : `b${Buffer.from(sd).toString("hex")}`;
      const windowMs = this.#o.duplicateWindowS * 1000;
      for (const [k, at] of s.recentPlain) if (now - at > windowMs) s.recentPlain.delete(k);
      if (s.recentPlain.has(ident)) {
        s.stats.duplicates++;
        this.#heard(s, now);
        return;
      }
      if (s.recentPlain.size >= MAX_RECENT_PLAIN) {
        const oldest = s.recentPlain.keys().next().value;
        if (oldest !== undefined) s.recentPlain.delete(oldest);
      }
      s.recentPlain.set(ident, now);
    }
    s.stats.accepted++;
    this.#heard(s, now);
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

  #checkSilence(): void {
    if (this.#stopped) return;
    const now = this.#o.clock.monotonicMs();
    for (const s of this.#byMac.values()) {
      if (s.state === "offline") continue;
      const limitMs =
        (this.#o.offlineFactor * s.device.profile.bthome.advertising_interval_s + this.#o.offlineMarginS) *
        1000;
      if (now - s.lastHeard > limitMs) {
        s.state = "offline";
        const silentS = Math.round((now - s.lastHeard) / 1000);
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

  #warn(device: string, reason: string, msg: string, extra: Record<string, unknown>): void {
    const key = `${device}/${reason}`;
    const now = this.#o.clock.monotonicMs();
    const last = this.#lastWarn.get(key);
    const level = last === undefined || now - last >= 60_000 ? "warn" : "debug";
    if (level === "warn") this.#lastWarn.set(key, now);
    this.#o.log[level]({ device, reason, ...extra }, msg);
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
