import { RecordMemory } from "../../drivers/gatt-health/memory.js";
import { HealthMonitor } from "../../drivers/gatt-health/monitor.js";
import type { DriverFactory, StartedDriver } from "./driver-context.js";

/**
 * The home's health monitors over Bluetooth GATT: one monitor per adapter, each fetching measurements
 * from a device when it advertises. Loaded only when the home has a gatt_health device (drivers.ts),
 * and started only where the home opted in to health data (the config check refuses the device
 * otherwise; this is the second lock). Records already received are remembered, hashed, in the kv store.
 */
export const startGattHealth: DriverFactory<"gatt_health"> = async (ctx, devices): Promise<StartedDriver> => {
  const log = ctx.host.log.child({ module: "gatt-health" });
  if (!ctx.config.health.enabled) {
    log.error(
      { devices: devices.map((d) => d.config.id) },
      "Health devices configured but health.enabled is false: not started",
    );
    return { name: "gatt_health", stop: () => undefined, status: () => ({ enabled: false }) };
  }
  const memory = new RecordMemory(ctx.kv);
  const adapters = [...new Set(devices.map((d) => d.config.adapter ?? "hci0"))];
  const monitors = adapters.map(
    (adapter) =>
      new HealthMonitor({
        adapter,
        devices: devices
          .filter((d) => (d.config.adapter ?? "hci0") === adapter)
          .map((d) => ({
            id: d.config.id,
            mac: d.config.mac,
            services: d.profile.gatt_health.services,
            clockValidFromYear: d.profile.gatt_health.clock_valid_from_year,
            ...(d.config.user_id !== undefined ? { userId: d.config.user_id } : {}),
          })),
        clock: ctx.host.netClock,
        log: log.child({ adapter }),
        timeZone: ctx.config.home.timezone,
        memory,
        onReading: (r) => {
          if (ctx.durably) ctx.durably(() => ctx.sink.health?.(r));
          else ctx.sink.health?.(r);
        },
      }),
  );
  for (const m of monitors) await m.start();
  return {
    name: "gatt_health",
    stop() {
      for (const m of monitors) m.stop();
    },
    status: () => Object.assign({}, ...monitors.map((m) => m.status())) as Record<string, unknown>,
  };
};
