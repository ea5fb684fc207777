import type { BleScanner } from "../../drivers/ble/advert.js";
import type { HearthConfig } from "../config/schema.js";
import { errorMessage } from "../core/errors.js";
import type { ReadingSink } from "../core/readings.js";
import type { KeyValueStore } from "../outbox/index.js";
import type { BthomeProfile } from "../profiles/bthome.js";
import type { DeviceProfile } from "../profiles/schema.js";
import type { AgentHost } from "./host.js";

export interface DriverContext {
  config: HearthConfig;
  profiles: ReadonlyMap<string, DeviceProfile>;
  host: AgentHost;
  sink: ReadingSink;
  kv: KeyValueStore;
}

export interface RunningDrivers {
  stop(): Promise<void>;
  status(): Record<string, unknown>;
  /**
   * Forgets a BLE device's last encryption counter (after its battery was changed or it was reset,
   * its counter starts again and its presses are rejected as replays). False for an unknown device.
   */
  resetBleCounter(device: string): boolean;
}

interface Started {
  name: string;
  stop(): Promise<void> | void;
  status?(): unknown;
  resetCounter?(device: string): boolean;
}

/**
 * Starts one driver per transport family, each loaded lazily: a home without BLE never loads node-ble,
 * one without meters never loads serialport. A driver that fails to start is logged and retried by
 * its own back-off; it never takes the agent down.
 */
export async function startDrivers(ctx: DriverContext): Promise<RunningDrivers> {
  const started: Started[] = [];
  const log = ctx.host.log;
  const byProtocol = new Map<
    DeviceProfile["protocol"],
    { config: HearthConfig["devices"][number]; profile: DeviceProfile }[]
  >();
  for (const d of ctx.config.devices) {
    const profile = ctx.profiles.get(d.profile);
    if (!profile) continue; // the config check already refused this
    const list = byProtocol.get(profile.protocol) ?? [];
    list.push({ config: d, profile });
    byProtocol.set(profile.protocol, list);
  }

  const ble = byProtocol.get("bthome");
  if (ble && ble.length > 0) {
    try {
      started.push(
        await startBthome(ctx, ble as { config: HearthConfig["devices"][number]; profile: BthomeProfile }[]),
      );
    } catch (e) {
      log.error({ err: e }, `BLE driver failed to start: ${errorMessage(e)}`);
    }
  }
  const serial = [
    ...(byProtocol.get("modbus") ?? []),
    ...(byProtocol.get("dlt645") ?? []),
    ...(byProtocol.get("cjt188") ?? []),
  ];
  if (serial.length > 0) {
    try {
      started.push(await startMeters(ctx, serial));
    } catch (e) {
      log.error({ err: e }, `Meter drivers failed to start: ${errorMessage(e)}`);
    }
  }

  return {
    async stop() {
      for (const s of started.reverse()) {
        try {
          await s.stop();
        } catch (e) {
          log.warn({ err: e, driver: s.name }, `Driver ${s.name} did not stop cleanly: ${errorMessage(e)}`);
        }
      }
    },
    status() {
      return Object.fromEntries(started.map((s) => [s.name, s.status?.() ?? {}]));
    },
    resetBleCounter(device) {
      return started.some((s) => s.resetCounter?.(device) ?? false);
    },
  };
}

/** How often each BLE adapter's ability to hear is reported to the pipeline. */
const RECEIVER_HEALTH_EVERY_MS = 60_000;

async function startBthome(
  ctx: DriverContext,
  devices: { config: HearthConfig["devices"][number]; profile: BthomeProfile }[],
): Promise<Started> {
  const { BthomeReceiver } = await import("../../drivers/bthome/index.js");
  const receiver = new BthomeReceiver({
    devices: devices.map((d) => ({
      config: {
        id: d.config.id,
        profile: d.config.profile,
        mac: d.config.mac ?? "",
        ...(d.config.key !== undefined ? { key: d.config.key } : {}),
        ...(d.config.adapter !== undefined ? { adapter: d.config.adapter } : {}),
      },
      profile: d.profile,
    })),
    sink: ctx.sink,
    clock: ctx.host.clock,
    log: ctx.host.log.child({ module: "bthome" }),
    counters: {
      get: (mac) => {
        const v = ctx.kv.get(`bthome.counter.${mac}`);
        return v === undefined ? undefined : Number(v);
      },
      set: (mac, counter) => ctx.kv.set(`bthome.counter.${mac}`, String(counter)),
    },
  });
  receiver.start();
  const adapters = [...new Set(devices.map((d) => d.config.adapter ?? "hci0"))];
  const scanners: BleScanner[] = [];
  for (const adapter of adapters) {
    let scanner: BleScanner | undefined = ctx.host.bleScanner?.(receiver, adapter);
    if (!scanner) {
      const { BluezScanner } = await import("../../drivers/ble/bluez.js");
      scanner = new BluezScanner({
        adapter,
        consumer: receiver,
        clock: ctx.host.netClock,
        log: ctx.host.log.child({ module: "ble", adapter }),
      });
    }
    await scanner.start();
    scanners.push(scanner);
  }
  // A deaf adapter is found by asking it, not by missing adverts: a call button is silent until
  // pressed. The sink decides how long deafness may last before it is an alert.
  const reportHealth = () => {
    scanners.forEach((s, i) => {
      const h = s.health?.();
      if (h) ctx.sink.receiver?.(`ble:${adapters[i]}`, h.ok, h.detail);
    });
  };
  reportHealth();
  const healthTimer = ctx.host.clock.setInterval(reportHealth, RECEIVER_HEALTH_EVERY_MS);
  return {
    name: "bthome",
    async stop() {
      healthTimer.cancel();
      for (const s of scanners) await s.stop();
      receiver.stop();
    },
    status: () => receiver.stats(),
    resetCounter: (device) => receiver.resetCounter(device),
  };
}

async function startMeters(
  ctx: DriverContext,
  devices: { config: HearthConfig["devices"][number]; profile: DeviceProfile }[],
): Promise<Started> {
  const { startMeterDrivers } = await import("./meters.js");
  return startMeterDrivers(ctx, devices);
}
