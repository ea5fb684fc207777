import type { HearthConfig } from "../config/schema.js";
import type { DeviceProfile } from "../profiles/schema.js";
import type { DriverContext } from "./drivers.js";

type Entry = { config: HearthConfig["devices"][number]; profile: DeviceProfile };

/** A profile with the config's per-device overrides (poll interval) applied. */
function withOverrides<P extends DeviceProfile>(e: Entry & { profile: P }): P {
  if (e.config.poll === undefined || !("timing" in e.profile)) return e.profile;
  return { ...e.profile, timing: { ...e.profile.timing, poll_interval_s: e.config.poll / 1000 } };
}

/**
 * The meter drivers (Modbus, DL/T 645, CJ/T 188) share one pool of serial lines, so that meters of
 * different protocols on one RS-485 line take turns on it.
 */
export async function startMeterDrivers(ctx: DriverContext, devices: Entry[]) {
  const { SerialLinePool } = await import("../../drivers/serial/index.js");
  const binding = ctx.host.serialBinding
    ? await ctx.host.serialBinding()
    : (await import("@serialport/bindings-cpp")).autoDetect();
  const lines = new SerialLinePool({
    binding,
    clock: ctx.host.clock,
    log: ctx.host.log.child({ module: "serial" }),
  });
  const stoppers: (() => Promise<void> | void)[] = [];
  const statuses: Record<string, () => unknown> = {};

  const modbus = devices.filter((d) => d.profile.protocol === "modbus");
  if (modbus.length > 0) {
    const { ModbusDriver } = await import("../../drivers/modbus/index.js");
    const driver = new ModbusDriver(
      modbus.map((d) => ({
        id: d.config.id,
        profile: withOverrides(d) as Extract<DeviceProfile, { protocol: "modbus" }>,
        unit_id: d.config.unit_id ?? 1,
        port: d.config.port ?? "",
      })),
      { sink: ctx.sink, clock: ctx.host.clock, log: ctx.host.log, profiles: ctx.profiles, lines },
    );
    driver.start();
    stoppers.push(() => driver.stop());
    statuses.modbus = () => driver.status();
  }

  return {
    name: "meters",
    async stop() {
      for (const s of stoppers.reverse()) await s();
    },
    status: () => Object.fromEntries(Object.entries(statuses).map(([k, f]) => [k, f()])),
  };
}
