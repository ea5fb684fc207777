import { ModbusDriver, type ModbusDriverDeps } from "../../../drivers/modbus/driver.js";
import type { BindingInterface } from "../../../drivers/serial/binding-types.js";
import { SerialLinePool } from "../../../drivers/serial/pool.js";
import { type Clock, SystemClock } from "../../../src/core/clock.js";
import type { ButtonPress, DeviceAvailability, Reading, ReadingSink } from "../../../src/core/readings.js";
import { loadCatalogue } from "../../../src/profiles/catalogue.js";
import type { ModbusProfile } from "../../../src/profiles/modbus.js";

/** A ReadingSink that remembers everything, for assertions. */
export class RecordingSink implements ReadingSink {
  readonly all: Reading[] = [];
  readonly availabilityEvents: Array<{ device: string; state: DeviceAvailability; reason: string }> = [];
  readings(batch: readonly Reading[]): void {
    this.all.push(...batch);
  }
  button(_press: ButtonPress): void {}
  availability(device: string, state: DeviceAvailability, reason: string): void {
    this.availabilityEvents.push({ device, state, reason });
  }
  of(device: string, channel: string): Reading[] {
    return this.all.filter((r) => r.device === device && r.channel === channel);
  }
  states(device: string): DeviceAvailability[] {
    return this.availabilityEvents.filter((e) => e.device === device).map((e) => e.state);
  }
}

/** A catalogue profile with test-speed timing (real time, so keep it short). */
export function fastProfile(id: string, timing: Partial<ModbusProfile["timing"]> = {}): ModbusProfile {
  const p = loadCatalogue().profiles.get(id);
  if (p?.protocol !== "modbus") throw new Error(`no modbus profile ${id}`);
  // Every test meter shares one 9600 8N1 line (the SDM120's factory default is 2400 8N1).
  return {
    ...p,
    serial: { baud: 9600, data_bits: 8, parity: "none", stop_bits: 1 },
    timing: { response_timeout_ms: 150, inter_frame_gap_ms: 0, retries: 1, poll_interval_s: 0.03, ...timing },
  };
}

export function waitFor(cond: () => boolean, ms = 20_000, what = "condition"): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) resolve();
      else if (Date.now() - start > ms) reject(new Error(`${what} not met within ${ms} ms`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

export function makeDriver(
  devices: ConstructorParameters<typeof ModbusDriver>[0],
  binding: BindingInterface,
  more: Partial<ModbusDriverDeps> = {},
  clock: Clock = new SystemClock(),
) {
  const sink = new RecordingSink();
  const lines = new SerialLinePool({ binding, clock, backoff: { initialMs: 20, maxMs: 100 } });
  const driver = new ModbusDriver(devices, { sink, clock, lines, ...more });
  return { sink, lines, driver };
}
