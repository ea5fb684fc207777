/**
 * Health monitors over GATT through BlueZ (node-ble): a device that advertises (they wake only when
 * used) is connected, its measurement characteristics subscribed to, the measurements it sends (its
 * queued, stored ones included) read until it goes quiet or disconnects, then it is disconnected. One
 * device at a time; a failed or dropped connection is tried again at the device's next advert.
 *
 * This uses its own D-Bus connection and never stops discovery: the BTHome scanner on the same adapter
 * keeps receiving a call button's adverts during a transfer (and restarts discovery if BlueZ stops it).
 * Values are never logged: only counts and device ids.
 */
import type { Clock, Timer } from "../../src/core/clock.js";
import { ErrorCode, errorMessage, HearthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import type { HealthReading } from "../../src/core/readings.js";
import { SECOND_MS } from "../../src/core/time.js";
import {
  CHARACTERISTICS,
  type CharacteristicSpec,
  type HealthService,
  SERVICE_UUID16,
  uuid128,
} from "./characteristics.js";
import type { RecordMemory } from "./memory.js";
import { type GattModule, type GattSession, loadGatt } from "./node-ble-gatt.js";
import { recordKey, toReading } from "./readings.js";

export interface HealthDeviceConfig {
  id: string;
  mac: string;
  services: readonly HealthService[];
  userId?: number;
  clockValidFromYear?: number;
}

export interface HealthMonitorOptions {
  adapter?: string;
  devices: readonly HealthDeviceConfig[];
  clock: Clock;
  log: Logger;
  timeZone: string;
  memory: RecordMemory;
  onReading(r: HealthReading): void;
  /** A transfer ends this long after the last value (or after subscribing, when none came). Default 8 s. */
  quietMs?: number;
  /** …and at the latest after this. Default 60 s. */
  maxTransferMs?: number;
  /** Longest wait for Connect and service discovery. Default 20 s. */
  connectTimeoutMs?: number;
  /** No new attempt on a device sooner than this after the last one ended. Default 10 s. */
  retryGapMs?: number;
  /** How often discovery is checked (and started when nobody runs it). Default 5 s. */
  pollMs?: number;
  /** For tests: where node-ble comes from. */
  gatt?: GattModule;
}

export interface HealthDeviceStatus {
  transfers: number;
  failures: number;
  readings: number;
  repeats: number;
  dropped: number;
  undecodable: number;
  last_error?: string;
}

export class HealthMonitor {
  readonly #o: HealthMonitorOptions;
  readonly #adapter: string;
  readonly #byMac = new Map<string, HealthDeviceConfig>();
  readonly #stats = new Map<string, HealthDeviceStatus>();
  readonly #lastEnd = new Map<string, number>();
  #session: GattSession | undefined;
  #busy: string | undefined;
  #timer: Timer | undefined;
  #stopped = true;

  constructor(o: HealthMonitorOptions) {
    this.#o = o;
    this.#adapter = o.adapter ?? "hci0";
    for (const d of o.devices) {
      this.#byMac.set(d.mac.toUpperCase(), d);
      this.#stats.set(d.id, {
        transfers: 0,
        failures: 0,
        readings: 0,
        repeats: 0,
        dropped: 0,
        undecodable: 0,
      });
    }
  }

  /** The device being transferred now, if any. */
  get busy(): string | undefined {
    return this.#busy;
  }

  status(): Record<string, HealthDeviceStatus> {
    return Object.fromEntries(this.#stats);
  }

  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    await this.#tick();
    this.#timer = this.#o.clock.setInterval(() => void this.#tick(), this.#o.pollMs ?? 5 * SECOND_MS);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#session?.close();
    this.#session = undefined;
  }

  /** Keeps a session with adverts watched and discovery on; a lost one is made again at the next tick. */
  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      if (!this.#session) {
        const gatt = this.#o.gatt ?? loadGatt();
        this.#session = await gatt.open(this.#adapter, [...this.#byMac.keys()], {
          advert: (mac) => void this.advert(mac),
          lost: (why) => {
            this.#o.log.warn({ adapter: this.#adapter, why }, "Health monitor lost BlueZ; reconnecting");
            this.#session?.close();
            this.#session = undefined;
          },
        });
      }
      await this.#session.keepDiscovering();
    } catch (e) {
      this.#o.log.warn({ adapter: this.#adapter, err: errorMessage(e) }, "Health monitor cannot reach BlueZ");
      this.#session?.close();
      this.#session = undefined;
    }
  }

  /** A health device advertised: fetch its measurements unless another transfer runs or it was just tried. */
  async advert(mac: string): Promise<void> {
    const dev = this.#byMac.get(mac.toUpperCase());
    const session = this.#session;
    if (!dev || !session || this.#busy !== undefined || this.#stopped) return;
    const last = this.#lastEnd.get(dev.id);
    if (last !== undefined && this.#o.clock.monotonicMs() - last < (this.#o.retryGapMs ?? 10 * SECOND_MS))
      return;
    this.#busy = dev.id;
    const stats = this.#stats.get(dev.id) as HealthDeviceStatus;
    stats.transfers++;
    try {
      await this.#transfer(session, dev, stats);
      delete stats.last_error;
    } catch (e) {
      stats.failures++;
      stats.last_error = errorMessage(e);
      this.#o.log.warn(
        { device: dev.id, err: stats.last_error },
        "Health device transfer failed; retried at its next advert",
      );
    } finally {
      this.#lastEnd.set(dev.id, this.#o.clock.monotonicMs());
      this.#busy = undefined;
    }
  }

  async #transfer(session: GattSession, dev: HealthDeviceConfig, stats: HealthDeviceStatus): Promise<void> {
    const specs = CHARACTERISTICS.filter((c) => c.final && dev.services.includes(c.service));
    const conn = await session.connect(dev.mac, this.#o.connectTimeoutMs ?? 20 * SECOND_MS);
    try {
      let lastValue = this.#o.clock.monotonicMs();
      let subscribed = 0;
      for (const spec of specs) {
        const ok = await conn.subscribe(
          uuid128(SERVICE_UUID16[spec.service]),
          uuid128(spec.uuid16),
          (value) => {
            lastValue = this.#o.clock.monotonicMs();
            this.#value(dev, spec, value, stats);
          },
        );
        if (ok) subscribed++;
      }
      if (subscribed === 0)
        throw new HearthError(
          `none of the services ${dev.services.join(", ")} found on the device`,
          ErrorCode.DeviceException,
          { device: dev.id },
        );
      const started = this.#o.clock.monotonicMs();
      const quiet = this.#o.quietMs ?? 8 * SECOND_MS;
      const max = this.#o.maxTransferMs ?? 60 * SECOND_MS;
      await new Promise<void>((resolve) => {
        const check = this.#o.clock.setInterval(
          () => {
            const now = this.#o.clock.monotonicMs();
            if (!conn.connected || now - lastValue >= quiet || now - started >= max || this.#stopped) {
              check.cancel();
              resolve();
            }
          },
          Math.min(quiet, 250),
        );
      });
    } finally {
      await conn.close();
    }
  }

  #value(
    dev: HealthDeviceConfig,
    spec: CharacteristicSpec,
    value: Uint8Array,
    stats: HealthDeviceStatus,
  ): void {
    let m: ReturnType<CharacteristicSpec["decode"]>;
    try {
      m = spec.decode(value);
    } catch (e) {
      stats.undecodable++;
      // The error names a field and a byte offset, never a value.
      this.#o.log.warn(
        { device: dev.id, characteristic: spec.name, err: errorMessage(e) },
        "Undecodable health measurement",
      );
      return;
    }
    const wall = this.#o.clock.wallMs();
    const stamped = m.timestamp?.local !== undefined;
    if (!this.#o.memory.first(recordKey(dev.id, spec.uuid16, value), stamped, wall)) {
      stats.repeats++;
      return;
    }
    const v = toReading(m, wall, this.#o.clock.monotonicMs(), {
      device: dev.id,
      timeZone: this.#o.timeZone,
      ...(dev.userId !== undefined ? { userId: dev.userId } : {}),
      ...(dev.clockValidFromYear !== undefined ? { clockValidFromYear: dev.clockValidFromYear } : {}),
    });
    if (v.kind === "dropped") {
      stats.dropped++;
      this.#o.log.debug({ device: dev.id, reason: v.reason }, "Health measurement not recorded");
      return;
    }
    stats.readings++;
    this.#o.onReading(v.reading);
  }
}
