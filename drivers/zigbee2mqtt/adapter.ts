/**
 * Turns Zigbee2MQTT's messages into Hearth's readings, presses and availability, through the same
 * ReadingSink the BTHome receiver uses. Devices are known by IEEE address; their friendly names
 * (which an installer may rename at any time) are only learned from `<base>/bridge/devices`.
 */
import type { Clock } from "../../src/core/clock.js";
import type { Logger } from "../../src/core/log.js";
import type { Reading, ReadingSink } from "../../src/core/readings.js";
import type { Zigbee2mqttSpec } from "../../src/profiles/zigbee2mqtt.js";
import { WarnLimiter } from "../common/warn-limiter.js";
import { decodeState, parseAvailability, parseBridgeDevices, parseJson } from "./codec.js";
import { classify } from "./topics.js";

export interface Z2mDevice {
  id: string;
  /** As in the config; compared in lower case. */
  ieee: string;
  spec: Zigbee2mqttSpec;
}

export interface Z2mAdapterOptions {
  devices: readonly Z2mDevice[];
  baseTopic: string;
  sink: ReadingSink;
  clock: Clock;
  log: Logger;
  /** Makes what one message writes (a fall's alert and event) durable together (the outbox's `durably`). */
  durably?: <T>(fn: () => T) => T;
}

export interface Z2mDeviceStats {
  friendly_name: string | null;
  availability: "online" | "offline" | "unknown";
  messages: number;
  presses: number;
  malformed: number;
}

/** What the coverage check calls a Zigbee2MQTT outage, and what it tells the carer. */
export const BRIDGE_SENSE = {
  sense: "zigbee2mqtt",
  note: "the Zigbee sensors cannot be heard until Zigbee2MQTT and its broker are back",
};
const DEVICE_NOTE = "Zigbee2MQTT says this sensor is unavailable: no data is not no activity";

interface DeviceState {
  device: Z2mDevice;
  friendlyName: string | undefined;
  availability: "online" | "offline" | undefined;
  stats: Z2mDeviceStats;
}

const IEEE = /^0x[0-9a-f]{16}$/;

export class Zigbee2mqttAdapter {
  readonly #o: Z2mAdapterOptions;
  readonly #byIeee = new Map<string, DeviceState>();
  /** Friendly name → IEEE address, from the last bridge/devices. */
  #names = new Map<string, string>();
  #bridge: "online" | "offline" | undefined;
  #connected = false;
  #connectionDetail = "not connected yet";
  readonly #warner: WarnLimiter;

  constructor(o: Z2mAdapterOptions) {
    this.#o = o;
    this.#warner = new WarnLimiter(o.clock, o.log);
    for (const device of o.devices) {
      const ieee = device.ieee.toLowerCase();
      this.#byIeee.set(ieee, {
        device,
        friendlyName: undefined,
        availability: undefined,
        stats: { friendly_name: null, availability: "unknown", messages: 0, presses: 0, malformed: 0 },
      });
    }
  }

  /** The broker connection came up or went down. */
  connection(up: boolean, detail: string): void {
    this.#connected = up;
    this.#connectionDetail = detail;
    // What the bridge said belongs to the lost connection; it says it again (retained) on return.
    if (!up) this.#bridge = undefined;
    this.reportHealth();
  }

  /** Whether the Zigbee sensors can be heard now, and why not. */
  health(): { ok: boolean; detail: string } {
    if (!this.#connected) return { ok: false, detail: `broker: ${this.#connectionDetail}` };
    if (this.#bridge === "online") return { ok: true, detail: "Zigbee2MQTT online" };
    if (this.#bridge === "offline") return { ok: false, detail: "Zigbee2MQTT bridge offline" };
    return { ok: false, detail: "no bridge state from Zigbee2MQTT yet (is it running?)" };
  }

  /** Tells the sink what can be heard: the bridge, and every device Zigbee2MQTT calls unavailable. */
  reportHealth(): void {
    const { sink } = this.#o;
    const h = this.health();
    sink.receiver?.(`zigbee2mqtt:${this.#o.baseTopic}`, h.ok, h.detail, BRIDGE_SENSE);
    for (const s of this.#byIeee.values()) {
      if (s.availability === undefined) continue;
      sink.receiver?.(s.device.id, s.availability === "online", `availability ${s.availability}`, {
        sense: "zigbee_sensor",
        note: DEVICE_NOTE,
      });
    }
  }

  /** One message under the base topic. `retained`: the broker's stored copy, not news. */
  message(topic: string, payload: Buffer, retained: boolean): void {
    if (this.#o.durably) this.#o.durably(() => this.#message(topic, payload, retained));
    else this.#message(topic, payload, retained);
  }

  #message(topic: string, payload: Buffer, retained: boolean): void {
    const t = classify(topic, this.#o.baseTopic);
    const text = payload.toString("utf8");
    switch (t.kind) {
      case "bridge_state": {
        const state = parseAvailability(text);
        if (!state) {
          this.#warner.warn("bridge", "malformed", "Zigbee2MQTT bridge state not understood", { topic });
          return;
        }
        if (state !== this.#bridge) this.#o.log.info({ topic, state }, `Zigbee2MQTT bridge ${state}`);
        this.#bridge = state;
        this.reportHealth();
        return;
      }
      case "bridge_devices":
        this.#devices(topic, text);
        return;
      case "availability": {
        const s = this.#resolve(t.name);
        if (!s) return;
        const state = parseAvailability(text);
        if (!state) {
          s.stats.malformed++;
          this.#warner.warn(s.device.id, "malformed", "Zigbee2MQTT availability not understood", { topic });
          return;
        }
        this.#setAvailability(s, state);
        return;
      }
      case "state": {
        const s = this.#resolve(t.name);
        if (!s) return;
        // A retained state is an old one: its occupancy or action happened before we listened.
        if (retained) return;
        this.#state(s, topic, text);
        return;
      }
      default:
        return;
    }
  }

  stats(): Record<string, Z2mDeviceStats> {
    const out: Record<string, Z2mDeviceStats> = {};
    for (const s of this.#byIeee.values()) out[s.device.id] = { ...s.stats };
    return out;
  }

  #devices(topic: string, text: string): void {
    const j = parseJson(text);
    const parsed = j.ok ? parseBridgeDevices(j.value) : { devices: [], notes: [`not JSON: ${j.error}`] };
    if (!j.ok || (parsed.devices.length === 0 && parsed.notes.length > 0)) {
      this.#warner.warn("bridge", "malformed", "Zigbee2MQTT device list not understood: names kept", {
        topic,
        notes: parsed.notes,
      });
      return;
    }
    const names = new Map<string, string>();
    for (const d of parsed.devices) names.set(d.friendlyName, d.ieee);
    this.#names = names;
    for (const [ieee, s] of this.#byIeee) {
      const name = parsed.devices.find((d) => d.ieee === ieee)?.friendlyName;
      if (name !== s.friendlyName) {
        if (name === undefined)
          this.#o.log.warn(
            { device: s.device.id, ieee },
            "Zigbee device not in Zigbee2MQTT's device list (not paired?)",
          );
        else if (s.friendlyName !== undefined)
          this.#o.log.info({ device: s.device.id, from: s.friendlyName, to: name }, "Zigbee device renamed");
        s.friendlyName = name;
        s.stats.friendly_name = name ?? null;
      }
    }
  }

  /** The configured device a friendly name belongs to now; its IEEE address until named. */
  #resolve(name: string): DeviceState | undefined {
    const ieee = this.#names.get(name) ?? (IEEE.test(name.toLowerCase()) ? name.toLowerCase() : undefined);
    return ieee === undefined ? undefined : this.#byIeee.get(ieee);
  }

  #setAvailability(s: DeviceState, state: "online" | "offline"): void {
    if (s.availability === state) return;
    s.availability = state;
    s.stats.availability = state;
    this.#o.sink.availability(s.device.id, state, `Zigbee2MQTT availability: ${state}`);
    this.reportHealth();
  }

  #state(s: DeviceState, topic: string, text: string): void {
    const id = s.device.id;
    s.stats.messages++;
    const j = parseJson(text);
    if (!j.ok) {
      s.stats.malformed++;
      this.#warner.warn(id, "malformed", "Zigbee2MQTT state is not JSON: ignored", {
        topic,
        reason: j.error,
      });
      return;
    }
    const d = decodeState(j.value, s.device.spec);
    if (d.notes.length > 0) {
      s.stats.malformed++;
      this.#warner.warn(id, "notes", "Zigbee2MQTT state partly not understood: the rest kept", {
        topic,
        notes: d.notes,
      });
    }
    const mono = this.#o.clock.monotonicMs();
    // A device that talks is available, whether or not Zigbee2MQTT's availability feature is on.
    if (s.availability === "offline") this.#setAvailability(s, "online");
    const readings: Reading[] = d.readings.map((r) => ({
      device: id,
      channel: r.channel,
      value: r.value,
      mono,
    }));
    if (readings.length > 0) this.#o.sink.readings(readings);
    for (const event of d.events) {
      s.stats.presses++;
      this.#o.sink.button({ device: id, event, mono });
    }
  }
}
