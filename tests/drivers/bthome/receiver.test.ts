import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeObjects, encodeServiceData } from "../../../drivers/bthome/codec.js";
import { type CounterStore, MemoryCounterStore } from "../../../drivers/bthome/counter-guard.js";
import type { BthomeDevice } from "../../../drivers/bthome/devices.js";
import { BthomeReceiver } from "../../../drivers/bthome/receiver.js";
import { SimulatedButton, SimulatedScanner } from "../../../drivers/bthome/sim/index.js";
import { VirtualClock } from "../../../src/core/clock.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";
import { type Logger, silentLogger } from "../../../src/core/log.js";
import { SECOND_MS } from "../../../src/core/time.js";
import { TEST_KEY, testButtonProfile } from "../../helpers/bthome.js";
import { captureLog } from "../../helpers/log-capture.js";
import { RecordingReadingSink } from "../../helpers/reading-sink.js";

const MAC = "AA:BB:CC:DD:EE:01";
const KEY = TEST_KEY;

const buttonProfile = testButtonProfile({ actions: { press: "call", double_press: "i_am_fine" } });

/** The availability changes a sink was told, as "device:state:reason". */
const availability = (sink: RecordingReadingSink) =>
  sink.changes.map((c) => `${c.device}:${c.state}:${c.reason}`);

function device(key?: string, mac = MAC): BthomeDevice {
  return {
    config: { id: "button-1", profile: "test-button", mac, ...(key ? { key } : {}) },
    profile: buttonProfile,
  };
}

function rig(options: { key?: string; counters?: CounterStore; clock?: VirtualClock; log?: Logger } = {}) {
  const clock = options.clock ?? new VirtualClock();
  const sink = new RecordingReadingSink();
  const counters = options.counters ?? new MemoryCounterStore();
  const receiver = new BthomeReceiver({
    devices: [device(options.key)],
    sink,
    clock,
    counters,
    log: options.log ?? silentLogger(),
  });
  const scanner = new SimulatedScanner({ consumer: receiver });
  const button = new SimulatedButton({ mac: MAC, scanner, ...(options.key ? { key: options.key } : {}) });
  receiver.start();
  void scanner.start();
  return { clock, sink, counters, receiver, scanner, button };
}

describe("press semantics", () => {
  it("an advert delivered five times is one press", () => {
    const { sink, button, receiver, scanner } = rig();
    button.press("press");
    expect(scanner.delivered).toBe(5);
    expect(sink.presses.map((p) => p.event)).toEqual(["press"]);
    expect(receiver.stats()["button-1"]).toMatchObject({ accepted: 1, duplicates: 4, presses: 1 });
  });

  it("two presses are two presses, each event kind passed on", () => {
    const { sink, button } = rig();
    button.press("press");
    button.press("double_press");
    button.press("long_press");
    expect(sink.presses.map((p) => p.event)).toEqual(["press", "double_press", "long_press"]);
    expect(sink.presses.map((p) => p.counter)).toEqual([1, 2, 3]); // packet ids
  });

  it("encrypted: copies share a counter and make one press; the counter is passed on", () => {
    const { sink, button, counters } = rig({ key: KEY });
    button.press();
    button.press();
    expect(sink.presses.map((p) => p.counter)).toEqual([1, 2]);
    expect(counters.get(MAC)).toBe(2);
  });

  it("battery and other mapped objects become readings; the button beacon is no press", () => {
    const { sink, button, clock } = rig();
    clock.advanceBy(5000);
    button.battery = 87;
    button.beacon();
    expect(sink.presses).toEqual([]);
    expect(sink.all()).toEqual([{ device: "button-1", channel: "battery_pct", value: 87, mono: 5000 }]);
  });

  it("the same packet id long after the duplicate window is a new advert (one-byte id wraps)", () => {
    const { sink, button, clock } = rig();
    const sd = button.press();
    clock.advanceBy(31_000);
    button.replay(sd);
    expect(sink.presses).toHaveLength(2);
  });
});

describe("with a bind key", () => {
  it("rejects and counts unencrypted adverts from the keyed MAC", () => {
    const { sink, button, receiver } = rig({ key: KEY });
    button.spoofPlain("press");
    expect(sink.presses).toEqual([]);
    expect(receiver.stats()["button-1"]?.rejected_unencrypted).toBe(1);
  });

  it("rejects an advert encrypted with another key", () => {
    const { sink, scanner, receiver } = rig({ key: KEY });
    const other = new SimulatedButton({
      mac: MAC,
      scanner,
      key: "00112233445566778899aabbccddeeff",
      counter: 50,
    });
    other.press();
    expect(sink.presses).toEqual([]);
    expect(receiver.stats()["button-1"]).toMatchObject({ rejected_decrypt: 5, accepted: 0 });
  });

  it("rejects a counter that goes back", () => {
    const { sink, button, receiver } = rig({ key: KEY });
    const first = button.press();
    button.press();
    button.replay(first);
    expect(sink.presses).toHaveLength(2);
    expect(receiver.stats()["button-1"]?.rejected_replay).toBe(1);
  });

  it("a recorded advert replayed after a restart (new receiver, same CounterStore) is rejected", () => {
    const counters = new MemoryCounterStore();
    const a = rig({ key: KEY, counters });
    const recorded = a.button.press();
    expect(a.sink.presses).toHaveLength(1);
    a.receiver.stop();

    const b = rig({ key: KEY, counters });
    b.button.replay(recorded, 3);
    expect(b.sink.presses).toEqual([]);
    expect(b.receiver.stats()["button-1"]?.rejected_replay).toBe(3);
  });

  it("after resetCounter, a device that restarted its counter is accepted again", () => {
    const counters = new MemoryCounterStore();
    counters.set(MAC, 5000); // what was stored before the device was reset
    const { sink, button, receiver } = rig({ key: KEY, counters });
    button.press(); // counter 1
    expect(sink.presses).toEqual([]);
    expect(receiver.resetCounter("button-1")).toBe(true);
    expect(receiver.resetCounter("no-such-device")).toBe(false);
    button.press(); // counter 2
    expect(sink.presses.map((p) => p.counter)).toEqual([2]);
    expect(counters.get(MAC)).toBe(2);
  });

  it("a forged counter does not move the stored counter (it is authenticated)", () => {
    const { button, counters, scanner } = rig({ key: KEY });
    button.press();
    const forged = encodeServiceData(encodeObjects([{ id: 0x3a, value: 1 }]), {
      key: Uint8Array.from(Buffer.from("ffffffffffffffffffffffffffffffff", "hex")),
      mac: MAC,
      counter: 0xfffffff0,
    });
    scanner.transmit({ mac: MAC, serviceData: forged });
    expect(counters.get(MAC)).toBe(1);
  });

  it("logs a warning naming the device and the reason, once per minute per reason", () => {
    const { log, lines } = captureLog();
    const { button } = rig({ key: KEY, log });
    button.spoofPlain();
    button.spoofPlain();
    const warns = lines.filter((l) => l.level === 40);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ device: "button-1", reason: "unencrypted" });
  });
});

describe("availability", () => {
  it("offline after 2.5 × interval + margin of silence, online when heard again", () => {
    const { sink, button, clock } = rig();
    button.beacon();
    expect(availability(sink)).toEqual(["button-1:online:first advert"]);
    clock.advanceBy((2.5 * 60 + 30) * SECOND_MS - 1); // just inside the limit
    expect(availability(sink)).toHaveLength(1);
    clock.advanceBy(20_000);
    expect(availability(sink)[1]).toMatch(/^button-1:offline:not heard for \d+ s/);
    button.press();
    expect(availability(sink)[2]).toBe("button-1:online:heard again");
    expect(sink.presses).toHaveLength(1);
  });

  it("a device never heard goes offline after the same time from start", () => {
    const { sink, clock } = rig();
    clock.advanceBy(200_000);
    expect(availability(sink)).toHaveLength(1);
    expect(availability(sink)[0]).toMatch(/offline/);
  });

  it("rejected adverts do not keep a keyed device online", () => {
    const { sink, button, clock } = rig({ key: KEY });
    clock.advanceBy(100_000);
    button.spoofPlain();
    clock.advanceBy(100_000);
    expect(availability(sink)).toEqual([expect.stringMatching(/^button-1:offline/)]);
  });
});

describe("configuration", () => {
  it("refuses a bad MAC, a bad key and a channel whose unit does not match, naming each", () => {
    const bad = testButtonProfile({
      ...buttonProfile.bthome,
      channels: { battery: "temperature_c", nonsense: "motion" },
    });
    try {
      new BthomeReceiver({
        devices: [{ config: { id: "b", profile: "x", mac: "zz", key: "12" }, profile: bad }],
        sink: new RecordingReadingSink(),
        clock: new VirtualClock(),
        counters: new MemoryCounterStore(),
        log: silentLogger(),
      });
      expect.unreachable("constructor should throw");
    } catch (e) {
      expect(isHearthError(e, ErrorCode.ConfigInvalid)).toBe(true);
      const msg = (e as Error).message;
      expect(msg).toMatch(/mac: Bad MAC/);
      expect(msg).toMatch(/key: Bad BTHome bind key/);
      expect(msg).toMatch(/channels\.battery: unit "%" does not match channel temperature_c/);
      expect(msg).toMatch(/channels\.nonsense: no BTHome object/);
    }
  });

  it("ignores adverts from MACs it was not given, and garbage bytes from ours are counted", () => {
    const { sink, scanner, receiver } = rig();
    scanner.transmit({ mac: "11:22:33:44:55:66", serviceData: Uint8Array.of(0x40, 0x3a, 0x01) });
    scanner.transmit({ mac: "not a mac", serviceData: Uint8Array.of(0x40, 0x3a, 0x01) });
    scanner.transmit({ mac: MAC.toLowerCase(), serviceData: Uint8Array.of(0x40, 0x02, 0x01) });
    scanner.transmit({ mac: MAC.replaceAll(":", "-"), serviceData: Uint8Array.of(0x40, 0x02, 0x01) });
    scanner.transmit({ mac: MAC, serviceData: Uint8Array.of() });
    expect(sink.presses).toEqual([]);
    expect(receiver.stats()["button-1"]?.malformed).toBe(3);
  });
});

describe("properties", () => {
  it("for a device with a bind key, random service data never makes a press, a reading or a throw", () => {
    const { sink, scanner, receiver } = rig({ key: KEY });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (sd) => {
        scanner.transmit({ mac: MAC, serviceData: sd });
      }),
      { numRuns: 3000 },
    );
    expect(sink.presses).toEqual([]);
    expect(sink.all()).toEqual([]);
    const st = receiver.stats()["button-1"];
    expect(st?.accepted).toBe(0);
  });

  it("copies of consecutive presses, late copies of the previous one mixed in, give each press exactly once", () => {
    const plan = fc.array(fc.record({ copies: fc.integer({ min: 1, max: 6 }), lateEcho: fc.boolean() }), {
      minLength: 1,
      maxLength: 20,
    });
    fc.assert(
      fc.property(plan, fc.boolean(), (steps, encrypted) => {
        const { sink, scanner } = rig(encrypted ? { key: KEY } : {});
        // repeats: 0, so the test decides exactly which copies go on air and when.
        const button = new SimulatedButton({
          mac: MAC,
          scanner,
          repeats: 0,
          ...(encrypted ? { key: KEY } : {}),
        });
        let previous: Uint8Array | undefined;
        for (const step of steps) {
          const sd = button.press();
          button.replay(sd, step.copies);
          if (step.lateEcho && previous) button.replay(previous);
          previous = sd;
        }
        expect(sink.presses).toHaveLength(steps.length);
        expect(sink.presses.map((p) => p.counter)).toEqual(steps.map((_, i) => i + 1));
      }),
      { numRuns: 100 },
    );
  });
});
