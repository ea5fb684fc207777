import type { HearthConfig } from "../config/schema.js";
import { errorMessage } from "../core/errors.js";
import type { DeviceProfile } from "../profiles/schema.js";
import type { DriverContext } from "./drivers.js";

type Entry = { config: HearthConfig["devices"][number]; profile: DeviceProfile };

/** A profile with the config's per-device overrides (poll interval, line settings) applied. */
function withOverrides<P extends DeviceProfile>(e: Entry & { profile: P }): P {
  const p = e.profile;
  if (!("timing" in p)) return p;
  return {
    ...p,
    timing: {
      ...p.timing,
      ...(e.config.poll !== undefined ? { poll_interval_s: e.config.poll / 1000 } : {}),
    },
    serial: {
      ...p.serial,
      ...(e.config.baud !== undefined ? { baud: e.config.baud } : {}),
      ...(e.config.parity !== undefined ? { parity: e.config.parity } : {}),
    },
  };
}

interface MeterDriver {
  start(): void;
  stop(): Promise<void>;
}

/** A driver that refuses to start is logged; the other protocols on the line carry on. */
function startOrLog(ctx: DriverContext, driver: MeterDriver, stoppers: (() => Promise<void> | void)[]): void {
  try {
    driver.start();
    stoppers.push(() => driver.stop());
  } catch (e) {
    ctx.host.log.error({ err: e }, `A meter driver failed to start: ${errorMessage(e)}`);
    void driver.stop().catch(() => undefined);
  }
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
    startOrLog(ctx, driver, stoppers);
    statuses.modbus = () => driver.status();
  }

  const dlt = devices.filter((d) => d.profile.protocol === "dlt645");
  if (dlt.length > 0) {
    const { Dlt645Driver } = await import("../../drivers/dlt645/index.js");
    const driver = new Dlt645Driver(
      dlt.map((d) => ({
        id: d.config.id,
        profile: withOverrides(d) as Extract<DeviceProfile, { protocol: "dlt645" }>,
        port: d.config.port ?? "",
        address: d.config.address ?? "",
      })),
      { sink: ctx.sink, clock: ctx.host.clock, log: ctx.host.log, profiles: ctx.profiles, lines },
    );
    startOrLog(ctx, driver, stoppers);
    statuses.dlt645 = () => driver.status();
  }

  const cjt = devices.filter((d) => d.profile.protocol === "cjt188");
  if (cjt.length > 0) {
    const { Cjt188Driver } = await import("../../drivers/cjt188/index.js");
    const driver = new Cjt188Driver(
      cjt.map((d) => ({
        id: d.config.id,
        profile: withOverrides(d) as Extract<DeviceProfile, { protocol: "cjt188" }>,
        port: d.config.port ?? "",
        address: d.config.address ?? "",
      })),
      { sink: ctx.sink, clock: ctx.host.clock, log: ctx.host.log, profiles: ctx.profiles, lines },
    );
    startOrLog(ctx, driver, stoppers);
    statuses.cjt188 = () => driver.status();
  }

  return {
    name: "meters",
    async stop() {
      for (const s of stoppers.reverse()) await s();
    },
    status: () => Object.fromEntries(Object.entries(statuses).map(([k, f]) => [k, f()])),
  };
}
