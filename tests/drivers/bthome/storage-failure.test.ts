import { describe, expect, it } from "vitest";
import { type CounterStore, MemoryCounterStore } from "../../../drivers/bthome/counter-guard.js";
import type { BthomeDevice } from "../../../drivers/bthome/devices.js";
import { BthomeReceiver } from "../../../drivers/bthome/receiver.js";
import { SimulatedButton, SimulatedScanner } from "../../../drivers/bthome/sim/index.js";
import { VirtualClock } from "../../../src/core/clock.js";
import { ErrorCode, HearthError } from "../../../src/core/errors.js";
import { MINUTE_MS } from "../../../src/core/time.js";
import { TEST_KEY, testButtonProfile } from "../../helpers/bthome.js";
import { captureLog } from "../../helpers/log-capture.js";
import { RecordingReadingSink } from "../../helpers/reading-sink.js";

/**
 * Issue 9, defect 1: the BLE counter was written before the press was emitted, so a full disk (the
 * kv write throws) cost every encrypted press. Now a store that refuses the counter never costs the
 * press, and replay protection holds in memory while the process lives.
 */

const MAC = "AA:BB:CC:DD:EE:01";

/** A counter store on a full disk: reads work, writes throw what the outbox threw before issue 9. */
class FullDiskCounters implements CounterStore {
  readonly inner = new MemoryCounterStore();
  full = true;
  writes = 0;
  get(mac: string): number | undefined {
    return this.inner.get(mac);
  }
  set(mac: string, counter: number): void {
    this.writes++;
    if (this.full)
      throw new HearthError("Failed to write to the outbox: database or disk is full", ErrorCode.OutboxFull);
    this.inner.set(mac, counter);
  }
}

function device(): BthomeDevice {
  return {
    config: { id: "button-1", profile: "test-button", mac: MAC, key: TEST_KEY },
    profile: testButtonProfile({ actions: { press: "call", double_press: "i_am_fine" } }),
  };
}

function rig(counters: CounterStore, sink = new RecordingReadingSink()) {
  const clock = new VirtualClock();
  const capture = captureLog();
  const receiver = new BthomeReceiver({ devices: [device()], sink, clock, counters, log: capture.log });
  const scanner = new SimulatedScanner({ consumer: receiver });
  const button = new SimulatedButton({ mac: MAC, scanner, key: TEST_KEY });
  receiver.start();
  void scanner.start();
  return { clock, sink, receiver, button, capture, scanner };
}

describe("BTHome receiver when its counter cannot be stored", () => {
  it("three encrypted presses on a full disk are three presses; each failed write is logged; a replay is still refused", () => {
    const counters = new FullDiskCounters();
    const { sink, button, receiver, capture, clock, scanner } = rig(counters);
    button.press("press");
    button.press("press");
    button.press("double_press");
    expect(sink.presses.map((p) => `${p.event}:${p.counter}`)).toEqual([
      "press:1",
      "press:2",
      "double_press:3",
    ]);
    expect(counters.writes).toBe(3);
    const failed = capture.lines.filter(
      (l) => l.msg === "BTHome counter could not be stored: kept in memory, press passed on",
    );
    expect(failed.map((l) => l.counter)).toEqual([1, 2, 3]);
    // The store never got a counter, but this run remembers 3: an old advert played back is refused.
    expect(counters.inner.get(MAC)).toBeUndefined();
    clock.advanceBy(MINUTE_MS);
    scanner.transmit({ mac: MAC, serviceData: button.sent[1] as Uint8Array });
    expect(sink.presses).toHaveLength(3);
    expect(receiver.stats()["button-1"]?.rejected_replay).toBe(1);
    // Space again: the next press stores its counter.
    counters.full = false;
    button.press("press");
    expect(sink.presses).toHaveLength(4);
    expect(counters.inner.get(MAC)).toBe(4);
  });

  it("a sink that throws in the silence timer: logged, the timer keeps running", () => {
    class ThrowingSink extends RecordingReadingSink {
      throws = 0;
      override availability(device: string, state: "online" | "offline", reason: string): void {
        if (state === "offline") {
          this.throws++;
          throw new HearthError("sink broke", ErrorCode.Internal);
        }
        super.availability(device, state, reason);
      }
    }
    const sink = new ThrowingSink();
    const { clock, capture } = rig(new MemoryCounterStore(), sink);
    clock.advanceBy(60 * MINUTE_MS);
    expect(sink.throws).toBe(1);
    expect(capture.lines.filter((l) => l.msg === "BTHome silence check failed")).toHaveLength(1);
  });
});
