import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listSerialPorts } from "../../../drivers/serial/list.js";

describe("listSerialPorts", () => {
  it("degrades to /dev/serial/by-id with an error message when the binding's list throws (no udev)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-byid-"));
    const target = join(mkdtempSync(join(tmpdir(), "hearth-dev-")), "ttyUSB0");
    writeFileSync(target, "");
    symlinkSync(target, join(dir, "usb-FTDI_FT232R-if00-port0"));
    symlinkSync(join(dir, "gone"), join(dir, "usb-dangling"));
    const binding = {
      list: () => Promise.reject(new Error("spawn udevadm ENOENT")),
    };
    const result = await listSerialPorts(binding, dir);
    expect(result.error).toContain("spawn udevadm ENOENT");
    expect(result.ports.map((p) => p.path)).toEqual([join(dir, "usb-FTDI_FT232R-if00-port0")]);
  });

  it("merges binding metadata into the by-id entry and keeps other ports", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-byid-"));
    const target = join(mkdtempSync(join(tmpdir(), "hearth-dev-")), "ttyUSB0");
    writeFileSync(target, "");
    symlinkSync(target, join(dir, "usb-CH340-port0"));
    const info = (path: string, vendorId?: string) => ({
      path,
      manufacturer: undefined,
      serialNumber: undefined,
      pnpId: undefined,
      locationId: undefined,
      productId: undefined,
      vendorId,
    });
    const result = await listSerialPorts(
      { list: async () => [info(target, "1a86"), info("/dev/ttyS0")] },
      dir,
    );
    expect(result.error).toBeUndefined();
    expect(result.ports.map((p) => [p.path, p.vendorId])).toEqual([
      [join(dir, "usb-CH340-port0"), "1a86"],
      ["/dev/ttyS0", undefined],
    ]);
  });
});
