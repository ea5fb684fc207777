/**
 * The devices one BlueZ adapter has seen, each watched for property changes: every advertising report
 * of a device arrives as a change of its ServiceData (discovery runs with DuplicateData on), and the
 * service data of the consumer's UUID is passed on as a `BleAdvert`.
 */
import type { Logger } from "../../src/core/log.js";
import type { AdvertConsumer } from "./advert.js";
import type { DbusVariant, NodeBleAdapter, NodeBleDevice } from "./node-ble.js";

export interface WatchedDevicesOptions {
  /** Adapter name (hci0, …), put on every advert. */
  adapter: string;
  consumer: AdvertConsumer;
  log: Logger;
  /** Called for every advert passed on (the scanner counts them). */
  onAdvert: () => void;
  /**
   * The devices of interest (MACs, any case). Others are neither watched nor remembered, so a busy
   * street of phones and tags costs nothing. Default: every device.
   */
  devices?: () => readonly string[];
}

/** BlueZ's object name of a device under its adapter: dev_AA_BB_CC_DD_EE_FF. */
export function deviceObjectName(mac: string): string {
  return `dev_${mac.replace(/:/g, "_").toUpperCase()}`;
}

export class WatchedDevices {
  readonly #o: WatchedDevicesOptions;
  readonly #uuid: string;
  /** Watched devices by device object name (dev_AA_BB_…). */
  readonly #devices = new Map<string, NodeBleDevice>();
  /**
   * Device object names whose watcher is being set up. Emptied by `clear()`: a watch that waits on a
   * connection that died never ends (dbus-next never settles its calls), and must not keep the device
   * from being watched on the next one.
   */
  #pending = new Set<string>();
  /** Last RSSI seen per MAC (RSSI arrives in its own property change). */
  readonly #rssi = new Map<string, number>();

  readonly #wantedMac: ((mac: string) => boolean) | undefined;

  constructor(options: WatchedDevicesOptions) {
    this.#o = options;
    this.#wantedMac = options.devices ? wantedFrom(options.devices) : undefined;
    this.#uuid = options.consumer.serviceUuid.toLowerCase();
  }

  get size(): number {
    return this.#devices.size;
  }

  has(mac: string): boolean {
    return this.#devices.has(deviceObjectName(mac));
  }

  /**
   * Watches one device's property changes. `deliverNow` passes its current ServiceData on at once.
   * `current` says whether the adapter it came from is still the one scanned (it may go while we wait).
   */
  async watch(
    adapter: NodeBleAdapter,
    mac: string,
    deliverNow: boolean,
    current: () => boolean,
  ): Promise<void> {
    const objectName = deviceObjectName(mac);
    if (!this.#wanted(mac) || this.#devices.has(objectName) || this.#pending.has(objectName)) return;
    const pending = this.#pending;
    pending.add(objectName);
    try {
      const device = await adapter.getDevice(mac);
      if (!current()) return;
      device.helper.on("PropertiesChanged", (changed) => this.#changed(mac, changed));
      // Reading a property makes node-ble build its proxy, which subscribes to PropertiesChanged; the
      // AddMatch goes out before the Get on the same connection, so once the Get returns, changes flow.
      // Adverts already cached when we started are not passed on: they may be old presses.
      const sd = await device.getServiceData();
      if (!current()) {
        device.helper.removeListeners();
        return;
      }
      this.#devices.set(objectName, device);
      if (!this.#rssi.has(mac)) {
        // RSSI changes arrive with adverts; until one does, the cached value is better than none.
        const rssi = await device.helper.prop("RSSI").catch(() => undefined);
        if (typeof rssi === "number") this.#rssi.set(mac, rssi);
      }
      if (deliverNow) this.#deliver(mac, sd);
    } catch (e) {
      this.#o.log.debug({ err: e, mac }, "BLE device vanished before it could be watched");
    } finally {
      pending.delete(objectName);
    }
  }

  /**
   * A new device object (BlueZ's InterfacesAdded) is a fresh advert: its ServiceData is passed on.
   * Returns its MAC, to be watched for changes.
   */
  appeared(device: Record<string, DbusVariant>): string | undefined {
    const mac = device.Address?.value;
    if (typeof mac !== "string" || !this.#wanted(mac)) return undefined;
    const rssi = device.RSSI?.value;
    if (typeof rssi === "number") this.#rssi.set(mac, rssi);
    const sd = device.ServiceData?.value;
    if (sd && typeof sd === "object") this.#deliver(mac, sd as Record<string, unknown>);
    return mac;
  }

  /** A device object went away (by its object name). */
  removed(objectName: string): void {
    this.#devices.get(objectName)?.helper.removeListeners();
    this.#devices.delete(objectName);
    for (const mac of this.#rssi.keys()) if (deviceObjectName(mac) === objectName) this.#rssi.delete(mac);
  }

  /** MACs whose signal strength is remembered (bounded by the watched devices). */
  get remembered(): number {
    return this.#rssi.size;
  }

  #wanted(mac: string): boolean {
    return this.#wantedMac?.(mac.toUpperCase()) ?? true;
  }

  /** Stops watching every device (the adapter went, or the scanner stops). */
  clear(): void {
    for (const d of this.#devices.values()) d.helper.removeListeners();
    this.#devices.clear();
    this.#pending = new Set();
    this.#rssi.clear();
  }

  #changed(mac: string, changed: Record<string, DbusVariant>): void {
    const rssi = changed.RSSI?.value;
    if (typeof rssi === "number") this.#rssi.set(mac, rssi);
    const sd = changed.ServiceData?.value;
    if (sd && typeof sd === "object") this.#deliver(mac, sd as Record<string, unknown>);
  }

  #deliver(mac: string, serviceData: Record<string, unknown>): void {
    for (const [uuid, raw] of Object.entries(serviceData)) {
      if (uuid.toLowerCase() !== this.#uuid) continue;
      const value = isVariant(raw) ? raw.value : raw;
      if (!(value instanceof Uint8Array)) continue;
      this.#o.onAdvert();
      const rssi = this.#rssi.get(mac);
      try {
        this.#o.consumer.advert({
          mac: mac.toUpperCase(),
          serviceData: Uint8Array.from(value),
          adapter: this.#o.adapter,
          ...(rssi !== undefined ? { rssi } : {}),
        });
      } catch (e) {
        this.#o.log.error({ err: e, mac }, "Advert consumer threw");
      }
    }
  }
}

function isVariant(v: unknown): v is DbusVariant {
  return typeof v === "object" && v !== null && "signature" in v && "value" in v;
}

/** A membership test over `devices()`, upper-cased, rebuilt only when its list changes. */
function wantedFrom(devices: () => readonly string[]): (mac: string) => boolean {
  let list: readonly string[] | undefined;
  let set = new Set<string>();
  return (mac) => {
    const now = devices();
    if (now !== list) {
      list = now;
      set = new Set(now.map((m) => m.toUpperCase()));
    }
    return set.has(mac);
  };
}
