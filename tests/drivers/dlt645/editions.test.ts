import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame, readDataRequest } from "../../../drivers/dlt645/codec.js";
import { Control1997, readDataRequest1997 } from "../../../drivers/dlt645/codec1997.js";
import { Dlt645Driver } from "../../../drivers/dlt645/driver.js";
import { Dlt645Meter } from "../../../drivers/dlt645/sim/index.js";
import type { Channel } from "../../../src/core/channels.js";
import { ErrorCode } from "../../../src/core/errors.js";
import type { Dlt645Profile } from "../../../src/profiles/dlt645.js";
import { meterRigs, POLLED_BY_HAND } from "../../helpers/meter-rig.js";
import { loadProfile } from "../../helpers/profiles.js";

/*
 * DL/T 645-1997 and -2007 meters on one RS-485 line, each read by its own address with its own
 * edition's frames. How each edition's meter treats the other's frames is not ours to decide: the
 * simulators follow a 1997 meter's firmware (github.com/hoanghon00/meter-dlt645-1997, Data_Trans.c:
 * an unknown control code to its address is refused with C|C0H and the "illegal data" bit; frames at
 * AA..AA other than read data go unanswered) and a 2007 meter implementation (github.com/600888/dlt645,
 * serversvc/handle_request.go: an unknown control code is refused with C|C0H, "other error").
 */

const PORT = "/dev/ttySIM-editions";
const p2007 = loadProfile("generic-dlt645-single-phase", "dlt645", POLLED_BY_HAND);
const p1997 = loadProfile("generic-dlt645-1997-single-phase", "dlt645", POLLED_BY_HAND);
const rigs = meterRigs();

function meter(profile: Dlt645Profile, address: string, values: Partial<Record<Channel, number>>, more = {}) {
  return new Dlt645Meter({
    edition: profile.dlt645.edition,
    address,
    identifiers: profile.dlt645.identifiers,
    values: () => values,
    ...more,
  });
}

function setup(devices: { meter: Dlt645Meter; profile: Dlt645Profile }[]) {
  // One line, one setting: bytes take their time at 2400 baud on the virtual clock.
  const rig = rigs({ line: { baud: 2400, chunkSize: 7 } });
  rig.line.addPort(PORT, ...devices.map((d) => d.meter));
  const driver = rig.start(
    new Dlt645Driver(
      devices.map((d, i) => ({
        id: `meter-${i + 1}`,
        profile: d.profile,
        port: PORT,
        address: d.meter.address,
        baud: 2400,
        parity: "even",
      })),
      rig.deps({ offlineAfter: 2 }),
    ),
  );
  return { rig, driver, sink: rig.sink };
}

describe("DL/T 645-1997 and -2007 meters on one line", () => {
  it("each is read by its address with its own edition; neither answers the other's requests", async () => {
    const old = meter(p1997, "000000970001", {
      energy_total_kwh: 1426.79,
      voltage_v: 223,
      current_a: 4.56,
      power_w: 1017.3,
    });
    const cur = meter(p2007, "000000200701", {
      energy_total_kwh: 987.65,
      voltage_v: 228.4,
      current_a: -0.52,
      power_w: 118.3,
    });
    const { rig, driver, sink } = setup([
      { meter: old, profile: p1997 },
      { meter: cur, profile: p2007 },
    ]);
    await rig.opened();
    const r1 = await rig.run(driver.pollNow("meter-1"));
    const r2 = await rig.run(driver.pollNow("meter-2"));
    expect(r1.errors).toEqual([]);
    expect(r2.errors).toEqual([]);
    expect(r1.values.slice(0, 3).map((v) => [v.name, v.value, v.unit])).toEqual([
      ["energy_total", 1426.79, "kWh"],
      ["voltage_a", 223, "V"],
      ["current_a", 4.56, "A"],
    ]);
    // Sent in kW (XX.XXXX), scaled to W by the profile.
    // At the precision the meter sends (no binary noise from the kW → W scale).
    expect(r1.values[3]?.value).toBe(1017.3);
    expect(r2.values.slice(0, 3).map((v) => [v.name, v.value])).toEqual([
      ["energy_total", 987.65],
      ["voltage_a", 228.4],
      ["current_a", -0.52],
    ]);
    expect(r2.values[3]?.value).toBeCloseTo(118.3, 6);
    expect(sink.last("meter-1", "voltage_v")).toBe(223);
    expect(sink.last("meter-2", "voltage_v")).toBeCloseTo(228.4, 6);
    // Addressed frames reach only their meter: nothing of the other edition was ever refused.
    expect(old.seen.other).toBe(0);
    expect(cur.seen.other).toBe(0);
  });

  it("a 1997 meter configured with a 2007 profile refuses 11H as the cited firmware does; the error says to check the edition", async () => {
    const old = meter(p1997, "000000970002", { energy_total_kwh: 1 });
    const { rig, driver } = setup([{ meter: old, profile: p2007 }]);
    await rig.opened();
    const r = await rig.run(driver.pollNow("meter-1"));
    expect(r.ok).toBe(false);
    expect(r.errors[0]?.code).toBe(ErrorCode.DeviceException);
    expect(r.errors[0]?.message).toMatch(
      /refused energy_total \(00000000\): other error \(a meter of the other DL\/T 645 edition/,
    );
    // Refused, not silent: the meter is there, and says so (D1H = 11H | C0H).
    const reply = old.respond(readDataRequest("000000970002", "00000000", { preamble: 0 }));
    expect(reply && decodeFrame(reply.data).control).toBe(0xd1);
  });

  it("a 2007 meter configured with a 1997 profile refuses 01H with C1H as the cited implementation does", async () => {
    const cur = meter(p2007, "000000200702", { energy_total_kwh: 1 });
    const { rig, driver } = setup([{ meter: cur, profile: p1997 }]);
    await rig.opened();
    const r = await rig.run(driver.pollNow("meter-1"));
    expect(r.ok).toBe(false);
    expect(r.errors[0]?.message).toMatch(
      /DL\/T 645-1997 meter meter-1 refused energy_total \(9010\): illegal data \(a meter of the other/,
    );
    const reply = cur.respond(readDataRequest1997("000000200702", "9010", { preamble: 0 }));
    expect(reply && decodeFrame(reply.data).control).toBe(Control1997.ReadDataError);
  });

  it("reads a value sent in pieces through the follow-up sequence, in both editions", async () => {
    // Two value bytes per frame: a four-byte energy comes as a first frame and one follow-up.
    const old = meter(
      p1997,
      "000000970003",
      { energy_total_kwh: 1234.56, voltage_v: 230 },
      { frameValueBytes: 2 },
    );
    const cur = meter(
      p2007,
      "000000200703",
      { energy_total_kwh: 7654.32, voltage_v: 231.1 },
      { frameValueBytes: 2 },
    );
    const { rig, driver } = setup([
      { meter: old, profile: p1997 },
      { meter: cur, profile: p2007 },
    ]);
    await rig.opened();
    const r1 = await rig.run(driver.pollNow("meter-1"));
    const r2 = await rig.run(driver.pollNow("meter-2"));
    expect(r1.values.find((v) => v.name === "energy_total")?.value).toBe(1234.56);
    expect(r2.values.find((v) => v.name === "energy_total")?.value).toBe(7654.32);
    expect(r1.values.find((v) => v.name === "voltage_a")?.value).toBe(230);
    expect(r2.values.find((v) => v.name === "voltage_a")?.value).toBe(231.1);
    // Energy (4 bytes) needed one follow-up; the two-byte voltage came whole (current and power: no data).
    expect(old.seen.followUp).toBe(1);
    expect(cur.seen.followUp).toBe(1);
  });

  it("a meter that never stops sending follow-up frames is cut off after 16, as a malformed reply", async () => {
    const address = "000000200799";
    const endless = {
      respond(request: Buffer) {
        const f = decodeFrame(request);
        if (f.address !== address) return undefined;
        const control = f.control === 0x11 ? 0xb1 : 0xb2;
        const data = Buffer.concat([
          f.data.subarray(0, 4),
          Buffer.from([0x01]),
          f.control === 0x12 ? f.data.subarray(4, 5) : Buffer.alloc(0),
        ]);
        return { data: encodeFrame({ address, control, data }, { preamble: 0 }) };
      },
    };
    const rig = rigs({ line: { chunkSize: 7 } });
    rig.line.addPort(PORT, endless);
    const one = { ...p2007, dlt645: { ...p2007.dlt645, identifiers: p2007.dlt645.identifiers.slice(0, 1) } };
    const driver = rig.start(
      new Dlt645Driver([{ id: "m", profile: one, port: PORT, address }], rig.deps({ offlineAfter: 2 })),
    );
    await rig.opened();
    const r = await rig.run(driver.pollNow("m"));
    expect(r.ok).toBe(false);
    expect(r.errors[0]?.code).toBe(ErrorCode.FrameMalformed);
    expect(r.errors[0]?.message).toMatch(/still had follow-up frames after 16/);
  });
});
