import type { BleScanner } from "../../drivers/ble/advert.js";
import { BthomeReceiver } from "../../drivers/bthome/index.js";
import { MINUTE_MS } from "../core/time.js";
import type { DriverFactory, StartedDriver } from "./driver-context.js";

/** How often each BLE adapter's ability to hear is reported to the pipeline. */
const RECEIVER_HEALTH_EVERY_MS = MINUTE_MS;

/**
 * The BTHome buttons and sensors: one receiver for every device, one scanner per Bluetooth adapter
 * (BlueZ over D-Bus unless the host brings its own), each encryption counter kept in the outbox's kv
 * table so a replayed advert stays refused across restarts.
 */
export const startBthome: DriverFactory<"bthome"> = async (ctx, devices): Promise<StartedDriver> => {
  const receiver = new BthomeReceiver({
    devices: devices.map((d) => ({
      config: {
        id: d.config.id,
        profile: d.config.profile,
        mac: d.config.mac,
        ...(d.config.key !== undefined ? { key: d.config.key } : {}),
        ...(d.config.adapter !== undefined ? { adapter: d.config.adapter } : {}),
      },
      profile: d.profile,
    })),
    sink: ctx.sink,
    ...(ctx.durably ? { durably: ctx.durably } : {}),
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
  // Said once at start and in every status: the config accepted these buttons without a key.
  const insecure = new Set(devices.filter((d) => d.config.insecure === true).map((d) => d.config.id));
  if (insecure.size > 0)
    ctx.host.log.warn(
      { devices: [...insecure] },
      "BLE devices without a bind key (insecure: true): anyone nearby can send their presses",
    );
  const adapters = [...new Set(devices.map((d) => d.config.adapter ?? "hci0"))];
  const scanners: BleScanner[] = [];
  // Only the home's own devices are watched: phones and tags nearby cost nothing.
  const macs = receiver.macs();
  for (const adapter of adapters) {
    let scanner: BleScanner | undefined = ctx.host.bleScanner?.(receiver, adapter);
    if (!scanner) {
      const { BluezScanner } = await import("../../drivers/ble/bluez.js");
      scanner = new BluezScanner({
        adapter,
        consumer: receiver,
        devices: () => macs,
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
    status: () => {
      const out: Record<string, object> = receiver.stats();
      for (const id of insecure) out[id] = { ...out[id], insecure: true };
      return out;
    },
    resetCounter: (device) => receiver.resetCounter(device),
  };
};
