import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readGatewayPower, watchGatewayPower } from "../../src/agent/mains.js";
import { VirtualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/log.js";

/** A fake /sys/class/power_supply: supply name → its files. */
function sysfs(supplies: Record<string, Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), "hearth-psu-"));
  for (const [name, files] of Object.entries(supplies)) {
    mkdirSync(join(dir, name));
    for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, name, f), `${v}\n`);
  }
  return dir;
}

describe("gateway power from the power_supply class", () => {
  it("reads mains adapters, UPS batteries, and says nothing when there is nothing to read", () => {
    expect(readGatewayPower(sysfs({ AC: { type: "Mains", online: "1" } }))).toEqual({
      onMains: true,
      detail: "AC online",
    });
    expect(
      readGatewayPower(
        sysfs({ AC: { type: "Mains", online: "0" }, BAT0: { type: "Battery", status: "Discharging" } }),
      ),
    ).toEqual({ onMains: false, detail: "AC offline" });
    // Only a battery (a UPS HAT without a mains entry): its status tells.
    expect(readGatewayPower(sysfs({ ups: { type: "Battery", status: "Discharging" } }))).toEqual({
      onMains: false,
      detail: "ups discharging",
    });
    expect(readGatewayPower(sysfs({ ups: { type: "Battery", status: "Charging" } }))?.onMains).toBe(true);
    // Two inputs, one of them live: on mains.
    expect(
      readGatewayPower(sysfs({ usb: { type: "USB", online: "0" }, ac: { type: "Mains", online: "1" } }))
        ?.onMains,
    ).toBe(true);
    expect(readGatewayPower(sysfs({}))).toBeUndefined();
    expect(readGatewayPower(sysfs({ weird: { type: "Mains" } }))).toBeUndefined();
    expect(readGatewayPower(join(tmpdir(), "no-such-power-supply-dir"))).toBeUndefined();
  });

  it("reports at start and every 30 s on the clock, until stopped", () => {
    const dir = sysfs({ AC: { type: "Mains", online: "1" } });
    const clock = new VirtualClock({ wallStartMs: 0 });
    const seen: boolean[] = [];
    const stop = watchGatewayPower({ clock, log: silentLogger(), dir, report: (p) => seen.push(p.onMains) });
    expect(seen).toEqual([true]);
    writeFileSync(join(dir, "AC", "online"), "0\n");
    clock.advanceBy(30_000);
    expect(seen).toEqual([true, false]);
    stop();
    clock.advanceBy(120_000);
    expect(seen).toEqual([true, false]);
  });
});
