import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import type { Logger } from "../../../src/core/log.js";
import type { ButtonPress, DeviceAvailability, Reading, ReadingSink } from "../../../src/core/readings.js";
import { parseProfile } from "../../../src/profiles/catalogue.js";
import type { Timing } from "../../../src/profiles/common.js";
import type { DeviceProfile } from "../../../src/profiles/schema.js";

/** A ReadingSink that keeps everything it is given, for assertions. */
export class RecordingSink implements ReadingSink {
  readonly batches: Reading[][] = [];
  readonly presses: ButtonPress[] = [];
  readonly changes: { device: string; state: DeviceAvailability; reason: string }[] = [];
  readings(batch: readonly Reading[]): void {
    this.batches.push([...batch]);
  }
  button(press: ButtonPress): void {
    this.presses.push(press);
  }
  availability(device: string, state: DeviceAvailability, reason: string): void {
    this.changes.push({ device, state, reason });
  }
  all(device?: string): Reading[] {
    return this.batches.flat().filter((r) => device === undefined || r.device === device);
  }
  last(device: string, channel: string): number | undefined {
    return this.all(device)
      .filter((r) => r.channel === channel)
      .at(-1)?.value;
  }
  states(device: string): DeviceAvailability[] {
    return this.changes.filter((c) => c.device === device).map((c) => c.state);
  }
}

/** A pino logger whose lines are parsed into `lines`, to assert on what was logged. */
export function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: "debug" },
    {
      write(s: string) {
        for (const l of s.split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      },
    },
  );
  return { log, lines };
}

/** A profile of device-profiles/, with timing overrides so tests run fast. */
export function loadProfile<P extends "dlt645" | "cjt188" | "modbus">(
  name: string,
  protocol: P,
  timing: Partial<Timing> = {},
): Extract<DeviceProfile, { protocol: P }> {
  const file = join(import.meta.dirname, "../../../device-profiles", `${name}.yaml`);
  const parsed = parseProfile(readFileSync(file, "utf8"), file);
  if (!parsed.ok) throw new Error(`profile ${name} does not load: ${JSON.stringify(parsed.problems)}`);
  const p = parsed.value;
  if (p.protocol !== protocol) throw new Error(`profile ${name} is ${p.protocol}`);
  return { ...p, timing: { ...p.timing, ...timing } } as Extract<DeviceProfile, { protocol: P }>;
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
