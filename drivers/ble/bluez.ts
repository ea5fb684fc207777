/**
 * BLE scanning through BlueZ over D-Bus (node-ble). Runs LE discovery on one adapter with duplicate
 * data on, so every advertising report of a watched device arrives as a ServiceData change, and hands
 * the service data of the consumer's UUID to an `AdvertConsumer` (./watched-devices.ts).
 *
 * Adapters go away (USB dongle pulled, rfkill, bluetoothd restart) and BlueZ stops discovery on its own
 * (another client, a power cycle). A poll on the injected clock notices every such state and puts it
 * right: re-acquires the adapter with back-off, restarts discovery, re-attaches device watchers.
 * Nothing here throws to the caller after `start()`; problems are logged and shown in `status()`.
 */
import { Backoff } from "../../src/core/backoff.js";
import type { Clock, Timer } from "../../src/core/clock.js";
import { ErrorCode, errorMessage, isHearthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import { MINUTE_MS, SECOND_MS } from "../../src/core/time.js";
import type { AdvertConsumer, BleScanner } from "./advert.js";
import { CallGuard } from "./call-guard.js";
import {
  type DbusVariant,
  loadNodeBle,
  type NodeBleAdapter,
  type NodeBleModule,
  type NodeBleSession,
  type ProxyInterfaceLike,
} from "./node-ble.js";
import { WatchedDevices } from "./watched-devices.js";

export type ScannerState = "stopped" | "starting" | "absent" | "powered_off" | "scanning" | "error";

export interface BluezScannerOptions {
  /** Gets the service data of its `serviceUuid`. */
  consumer: AdvertConsumer;
  clock: Clock;
  log: Logger;
  /** Adapter name, default hci0. */
  adapter?: string;
  /** How often the adapter's state is checked. Default 5000 ms. */
  pollMs?: number;
  /** Back-off between attempts to re-acquire a missing adapter: doubles from `minMs` to `maxMs`. */
  backoff?: { minMs: number; maxMs: number };
  /** Longest wait for one health check's D-Bus calls. Default 10 000 ms. */
  callTimeoutMs?: number;
  /** Try to power the adapter on when it is off. Default true (a gateway has no one to press a key). */
  powerOn?: boolean;
  /**
   * The MACs to watch (upper case with colons), asked afresh as devices appear. Given by the agent, so
   * that only the home's own devices are watched; `hearth scan ble` leaves it out to see everything.
   */
  devices?: () => readonly string[];
  /** For tests: where node-ble comes from. */
  nodeBle?: NodeBleModule;
}

export interface ScannerStatus {
  adapter: string;
  state: ScannerState;
  /** Devices whose ServiceData changes are watched. */
  watched: number;
  adverts: number;
  /** Times discovery was found stopped and started again. */
  discoveryRestarts: number;
  /** Times the adapter was acquired (1 at start, +1 after each loss). */
  acquisitions: number;
  lastError?: string;
}

const ADAPTER_IFACE = "org.bluez.Adapter1";
const DEVICE_IFACE = "org.bluez.Device1";

export class BluezScanner implements BleScanner {
  readonly #o: Required<Omit<BluezScannerOptions, "nodeBle" | "consumer" | "devices">>;
  readonly #nodeBle: NodeBleModule | undefined;
  #session: NodeBleSession | undefined;
  #adapter: NodeBleAdapter | undefined;
  #objectManager: ProxyInterfaceLike | undefined;
  /** Properties interface of the acquired adapter, for its PropertiesChanged. */
  #adapterProps: ProxyInterfaceLike | undefined;
  readonly #devices: WatchedDevices;
  #timer: Timer | undefined;
  #retryAt = 0;
  readonly #backoff: Backoff;
  #busy = false;
  readonly #guard: CallGuard;
  #stopped = true;
  #toldMatchRules = false;
  #status: ScannerStatus;

  constructor(options: BluezScannerOptions) {
    this.#o = {
      clock: options.clock,
      log: options.log,
      adapter: options.adapter ?? "hci0",
      pollMs: options.pollMs ?? 5 * SECOND_MS,
      backoff: options.backoff ?? { minMs: SECOND_MS, maxMs: MINUTE_MS },
      powerOn: options.powerOn ?? true,
      callTimeoutMs: options.callTimeoutMs ?? 10 * SECOND_MS,
    };
    this.#nodeBle = options.nodeBle;
    this.#backoff = new Backoff({
      initialMs: this.#o.backoff.minMs,
      maxMs: this.#o.backoff.maxMs,
      factor: 2,
      jitter: "none",
      clock: this.#o.clock,
    });
    this.#guard = new CallGuard(this.#o.clock, this.#o.callTimeoutMs);
    this.#devices = new WatchedDevices({
      adapter: this.#o.adapter,
      consumer: options.consumer,
      log: this.#o.log,
      onAdvert: () => {
        this.#status.adverts++;
      },
      ...(options.devices ? { devices: options.devices } : {}),
    });
    this.#status = {
      adapter: this.#o.adapter,
      state: "stopped",
      watched: 0,
      adverts: 0,
      discoveryRestarts: 0,
      acquisitions: 0,
    };
  }

  status(): ScannerStatus {
    return { ...this.#status, watched: this.#devices.size };
  }

  health(): { ok: boolean; detail: string } {
    const s = this.#status;
    if (s.state === "scanning") return { ok: true, detail: "scanning" };
    return { ok: false, detail: `adapter ${s.adapter} ${s.state}${s.lastError ? `: ${s.lastError}` : ""}` };
  }

  /** Whether property changes of this device are being received. */
  watching(mac: string): boolean {
    return this.#devices.has(mac);
  }

  /**
   * Starts watching. Resolves after the first attempt to reach BlueZ and acquire the adapter, whether
   * or not that worked: a missing system bus, bluetoothd or adapter is retried in the background with
   * back-off, and shown in `status()`. Never throws.
   */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#status.state = "starting";
    await this.#tick();
    this.#timer = this.#o.clock.setInterval(() => void this.#tick(), this.#o.pollMs);
  }

  /** Connects to the system bus and subscribes to BlueZ's object manager. */
  async #connect(): Promise<NodeBleSession> {
    const nodeBle = this.#nodeBle ?? loadNodeBle();
    if (nodeBle.matchRules === "unknown" && !this.#toldMatchRules) {
      this.#toldMatchRules = true;
      // See ./dbus-match-rules.ts: BLE works, but rules may pile up until the bus refuses more.
      this.#o.log.warn(
        { adapter: this.#o.adapter },
        "dbus-next's match-rule bookkeeping is not the known one; left unpatched",
      );
    }
    const session = nodeBle.createBluetooth();
    this.#session = session;
    session.bluetooth.dbus.on("error", (err) => {
      // dbus-next reports a dead connection or a failed match rule here; unhandled it would crash us.
      this.#o.log.warn({ err, adapter: this.#o.adapter }, "D-Bus error; reconnecting");
      this.#status.lastError = errorMessage(err);
      this.#guard.busFailed(err);
      if (this.#session === session) {
        this.#disconnect();
        this.#scheduleRetry();
      }
    });
    const root = await session.bluetooth.dbus.getProxyObject("org.bluez", "/");
    const om = root.getInterface("org.freedesktop.DBus.ObjectManager");
    om.on("InterfacesAdded", this.#onInterfacesAdded);
    om.on("InterfacesRemoved", this.#onInterfacesRemoved);
    this.#objectManager = om;
    return session;
  }

  #disconnect(): void {
    this.#objectManager?.removeListener("InterfacesAdded", this.#onInterfacesAdded);
    this.#objectManager?.removeListener("InterfacesRemoved", this.#onInterfacesRemoved);
    this.#objectManager = undefined;
    this.#dropAdapter();
    try {
      this.#session?.destroy();
    } catch {
      // Already closed.
    }
    this.#session = undefined;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    const adapter = this.#adapter;
    this.#dropAdapter();
    if (adapter) {
      try {
        if (await adapter.isDiscovering()) await adapter.helper.callMethod("StopDiscovery");
      } catch {
        // The adapter may be gone already; nothing to stop then.
      }
    }
    this.#disconnect();
    this.#status.state = "stopped";
  }

  /** One health check: acquire the adapter if missing (respecting back-off), keep discovery running. */
  async #tick(): Promise<void> {
    if (this.#stopped || this.#busy) return;
    this.#busy = true;
    try {
      await this.#guard.run(this.#tickOnce());
    } catch (e) {
      if (isHearthError(e, ErrorCode.Timeout) || isHearthError(e, ErrorCode.PortClosed)) {
        // A call that never answers, or a bus that died under it: start again from a new connection.
        this.#disconnect();
        this.#setState("error", errorMessage(e));
        this.#scheduleRetry();
      } else {
        this.#lost(errorMessage(e));
      }
    } finally {
      this.#busy = false;
    }
  }

  async #tickOnce(): Promise<void> {
    if (!this.#adapter) {
      if (this.#o.clock.monotonicMs() < this.#retryAt) return;
      if (!this.#session) {
        try {
          await this.#connect();
        } catch (e) {
          this.#disconnect();
          this.#setState("error", `cannot reach BlueZ on the system D-Bus: ${errorMessage(e)}`);
          this.#scheduleRetry();
          return;
        }
      }
      await this.#acquire();
    } else {
      await this.#keepScanning(this.#adapter);
    }
  }

  async #acquire(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    const names = await session.bluetooth.adapters();
    if (!names.includes(this.#o.adapter)) {
      this.#setState(
        "absent",
        `adapter ${this.#o.adapter} not present (have: ${names.join(", ") || "none"})`,
      );
      this.#scheduleRetry();
      return;
    }
    const adapter = await session.bluetooth.getAdapter(this.#o.adapter);
    this.#adapter = adapter;
    this.#status.acquisitions++;
    await this.#watchAdapter(session);
    this.#backoff.reset();
    this.#o.log.info({ adapter: this.#o.adapter }, "BLE adapter acquired");
    await this.#keepScanning(adapter, true);
    if (this.#adapter !== adapter) return;
    for (const mac of await adapter.devices()) await this.#watch(adapter, mac);
  }

  /** Checks power and discovery; starts discovery with duplicate data when it is not running. */
  async #keepScanning(adapter: NodeBleAdapter, first = false): Promise<void> {
    if (!(await adapter.isPowered())) {
      this.#setState("powered_off", `adapter ${this.#o.adapter} is powered off`);
      if (this.#o.powerOn) {
        try {
          await adapter.helper.set("Powered", this.#variant("boolean", true));
        } catch (e) {
          this.#o.log.debug({ err: e, adapter: this.#o.adapter }, "Could not power the adapter on");
        }
      }
      return;
    }
    if (await adapter.isDiscovering()) {
      this.#setState("scanning");
      return;
    }
    // BlueZ forgets the filter when discovery stops, so it is set again every time.
    await adapter.helper.callMethod("SetDiscoveryFilter", {
      Transport: this.#variant("string", "le"),
      DuplicateData: this.#variant("boolean", true),
    });
    await adapter.helper.callMethod("StartDiscovery");
    if (!first) {
      this.#status.discoveryRestarts++;
      this.#o.log.warn({ adapter: this.#o.adapter }, "BLE discovery had stopped; restarted");
    }
    this.#setState("scanning");
  }

  #variant(type: "string" | "boolean", value: unknown): DbusVariant {
    return (this.#nodeBle ?? loadNodeBle()).variant(type, value);
  }

  /** Watches a device of this adapter for as long as the adapter is the one scanned. */
  #watch(adapter: NodeBleAdapter, mac: string): Promise<void> {
    return this.#devices.watch(adapter, mac, false, () => this.#adapter === adapter && !this.#stopped);
  }

  readonly #onInterfacesAdded = (...args: unknown[]): void => {
    const [path, ifaces] = args as [string, Record<string, Record<string, DbusVariant>>];
    const adapterPath = `/org/bluez/${this.#o.adapter}`;
    if (path === adapterPath && ifaces[ADAPTER_IFACE]) {
      this.#o.log.info({ adapter: this.#o.adapter }, "BLE adapter appeared");
      this.#retryAt = 0;
      void this.#tick();
      return;
    }
    const dev = ifaces[DEVICE_IFACE];
    if (!dev || !path.startsWith(`${adapterPath}/`) || !this.#adapter) return;
    const mac = this.#devices.appeared(dev);
    if (mac === undefined) return;
    const adapter = this.#adapter;
    void this.#watch(adapter, mac);
  };

  readonly #onInterfacesRemoved = (...args: unknown[]): void => {
    const [path, ifaces] = args as [string, string[]];
    const adapterPath = `/org/bluez/${this.#o.adapter}`;
    if (path === adapterPath && ifaces.includes(ADAPTER_IFACE)) {
      this.#lost(`adapter ${this.#o.adapter} removed`);
      return;
    }
    if (path.startsWith(`${adapterPath}/`) && ifaces.includes(DEVICE_IFACE)) {
      this.#devices.removed(path.slice(adapterPath.length + 1));
    }
  };

  #lost(reason: string): void {
    if (this.#stopped) return;
    const had = this.#adapter !== undefined;
    this.#dropAdapter();
    this.#setState("absent", reason);
    if (had) this.#o.log.warn({ adapter: this.#o.adapter, reason }, "BLE adapter lost");
    this.#scheduleRetry();
  }

  /**
   * Reacts at once when discovery stops or power goes off, instead of waiting for the next poll: a
   * press made in that gap would be lost.
   */
  async #watchAdapter(session: NodeBleSession): Promise<void> {
    try {
      const obj = await session.bluetooth.dbus.getProxyObject("org.bluez", `/org/bluez/${this.#o.adapter}`);
      const props = obj.getInterface("org.freedesktop.DBus.Properties");
      props.on("PropertiesChanged", this.#onAdapterChanged);
      this.#adapterProps = props;
    } catch (e) {
      // The poll still keeps discovery going; only the quick reaction is lost.
      this.#o.log.debug({ err: e, adapter: this.#o.adapter }, "Could not watch adapter properties");
    }
  }

  readonly #onAdapterChanged = (...args: unknown[]): void => {
    const [iface, changed] = args as [string, Record<string, DbusVariant>];
    if (iface !== ADAPTER_IFACE) return;
    if (changed.Discovering?.value === false || changed.Powered?.value === false) void this.#tick();
  };

  #dropAdapter(): void {
    this.#adapterProps?.removeListener("PropertiesChanged", this.#onAdapterChanged);
    this.#adapterProps = undefined;
    this.#devices.clear();
    this.#adapter = undefined;
  }

  #scheduleRetry(): void {
    this.#retryAt = this.#backoff.nextAt();
  }

  #setState(state: ScannerState, why?: string): void {
    if (this.#status.state !== state) {
      if (why && state !== "scanning") this.#o.log.warn({ adapter: this.#o.adapter, state }, why);
      this.#status.state = state;
    }
    if (why) this.#status.lastError = why;
  }
}
