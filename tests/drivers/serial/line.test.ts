import { describe, expect, it } from "vitest";
import { SerialLine, type SerialLineOptions } from "../../../drivers/serial/line.js";
import { checkLineSettings } from "../../../drivers/serial/pool.js";
import type { SimulatedDevice, SimulatedLineOptions } from "../../../drivers/serial/sim/index.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";
import { type MeterRig, meterRigs, LINE_9600_8N1 as S9600 } from "../../helpers/meter-rig.js";

// Every line here runs on the rig's virtual clock: timeouts and reopen waits cost no real time.
const rigs = meterRigs();

/** Toy protocol: request [addr, n]; the device with that address answers [addr, n bytes of 0xAA]. */
function toy(addr: number, opts: { garbage?: boolean; delayMs?: number } = {}): SimulatedDevice {
  return {
    respond(req) {
      if (req[0] !== addr) return undefined;
      const n = req[1] ?? 0;
      const body = Buffer.concat([Buffer.from([addr]), Buffer.alloc(n, 0xaa)]);
      const data = opts.garbage ? Buffer.concat([Buffer.from([0x00, 0xff]), body]) : body;
      return { data, delayMs: opts.delayMs ?? 0 };
    },
  };
}
const completeFor = (addr: number, n: number) => (rx: Buffer) =>
  rx[0] !== addr ? -1 : rx.length >= n + 1 ? n + 1 : 0;

/** A started line on /dev/ttySIM0 of a fresh rig whose simulated line carries `devices`; open once awaited. */
async function openLine(
  devices: SimulatedDevice[],
  opts: { line?: Omit<SimulatedLineOptions, "clock">; more?: Partial<SerialLineOptions> } = {},
): Promise<{ rig: MeterRig; line: SerialLine }> {
  const rig = rigs({ line: opts.line });
  rig.line.addPort("/dev/ttySIM0", ...devices);
  const line = new SerialLine({
    path: "/dev/ttySIM0",
    settings: S9600,
    binding: rig.line,
    clock: rig.clock,
    backoff: { initialMs: 10, maxMs: 40, jitter: 0.5 },
    ...opts.more,
  });
  rig.after(() => rig.run(line.stop()));
  line.start();
  await rig.until("line open", () => line.isOpen);
  return { rig, line };
}

describe("SerialLine", () => {
  it("answers a transaction with the whole frame, reassembled from small chunks", async () => {
    const { rig, line } = await openLine([toy(1), toy(2)], { line: { chunkSize: 2 } });
    const reply = await rig.run(
      line.transaction(Buffer.from([2, 5]), {
        timeoutMs: 500,
        complete: completeFor(2, 5),
      }),
    );
    expect(reply).toEqual(Buffer.from([2, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa]));
    expect(rig.line.recording("/dev/ttySIM0")).toEqual([Buffer.from([2, 5])]);
  });

  it("drops noise before a frame (complete returns -1) and counts the dropped bytes", async () => {
    const { rig, line } = await openLine([toy(3, { garbage: true })]);
    const reply = await rig.run(
      line.transaction(Buffer.from([3, 2]), {
        timeoutMs: 500,
        complete: completeFor(3, 2),
      }),
    );
    expect(reply).toEqual(Buffer.from([3, 0xaa, 0xaa]));
    expect(line.stats.droppedBytes).toBe(2);
  });

  it("serialises concurrent transactions: one request on the wire at a time, replies to the right caller", async () => {
    const { rig, line } = await openLine([toy(1, { delayMs: 3 }), toy(2)], { line: { baud: 9600 } });
    const results = await rig.run(
      Promise.all(
        [1, 2, 1, 2].map((a, i) =>
          line.transaction(Buffer.from([a, i + 1]), { timeoutMs: 500, complete: completeFor(a, i + 1) }),
        ),
      ),
    );
    expect(results.map((r) => [r[0], r.length])).toEqual([
      [1, 2],
      [2, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(rig.line.recording("/dev/ttySIM0").map((b) => b[0])).toEqual([1, 2, 1, 2]);
  });

  it("times out with a transient Timeout error when nobody answers", async () => {
    const { rig, line } = await openLine([toy(1)]);
    const err = await rig
      .run(line.transaction(Buffer.from([9, 1]), { timeoutMs: 30, complete: completeFor(9, 1) }))
      .catch((e: unknown) => e);
    expect(isHearthError(err, ErrorCode.Timeout)).toBe(true);
    expect(line.stats.timeouts).toBe(1);
  });

  it("refuses requests beyond the queue bound", async () => {
    const { rig, line } = await openLine([], { more: { maxQueue: 1, backoff: {} } });
    const opts = { timeoutMs: 20, complete: () => 0 };
    const a = line.transaction(Buffer.from([1]), opts).catch((e: unknown) => e);
    const b = line.transaction(Buffer.from([1]), opts).catch((e: unknown) => e);
    const c = await line.transaction(Buffer.from([1]), opts).catch((e: unknown) => e);
    expect(isHearthError(c, ErrorCode.QueueFull)).toBe(true);
    expect(isHearthError(await rig.run(a), ErrorCode.Timeout)).toBe(true);
    expect(isHearthError(await rig.run(b), ErrorCode.Timeout)).toBe(true);
  });

  it("reopens after the adapter vanishes and resumes by itself, emitting close then open", async () => {
    const rig = rigs();
    const sim = rig.line.addPort("/dev/ttySIM0", toy(1));
    const line = new SerialLine({
      path: "/dev/ttySIM0",
      settings: S9600,
      binding: sim,
      clock: rig.clock,
      backoff: { initialMs: 10, maxMs: 40, jitter: 0.5 },
    });
    rig.after(() => rig.run(line.stop()));
    const events: string[] = [];
    line.on("open", () => events.push("open"));
    line.on("close", () => events.push("close"));
    line.start();
    await rig.until("open", () => line.isOpen);
    sim.unplug("/dev/ttySIM0");
    await rig.until("closed", () => !line.isOpen);
    const whileGone = await rig
      .run(line.transaction(Buffer.from([1, 1]), { timeoutMs: 50, complete: completeFor(1, 1) }))
      .catch((e: unknown) => e);
    expect(isHearthError(whileGone, ErrorCode.PortClosed)).toBe(true);
    const gone = rig.clock.monotonicMs();
    await rig.until("a few failed reopen attempts", () => rig.clock.monotonicMs() >= gone + 60);
    sim.plug("/dev/ttySIM0");
    await rig.until("open again", () => line.isOpen);
    const reply = await rig.run(
      line.transaction(Buffer.from([1, 1]), {
        timeoutMs: 200,
        complete: completeFor(1, 1),
      }),
    );
    expect(reply).toEqual(Buffer.from([1, 0xaa]));
    expect(events).toEqual(["open", "close", "open"]);
    expect(line.stats.opens).toBe(2);
  });

  it("raw exclusive mode holds the line: a queued transaction waits until it is done", async () => {
    const { rig, line } = await openLine([toy(1), toy(2)]);
    const order: string[] = [];
    const raw = line.exclusive(
      async (io) => {
        const got: Buffer[] = [];
        let whole: () => void = () => {};
        const three = new Promise<void>((resolve) => {
          whole = resolve;
        });
        const off = io.onData((c) => {
          got.push(c);
          if (Buffer.concat(got).length >= 3) whole();
        });
        await io.write(Buffer.from([1, 2]));
        await three;
        off();
        order.push("raw");
        return Buffer.concat(got);
      },
      { timeoutMs: 1000 },
    );
    const tx = line
      .transaction(Buffer.from([2, 1]), { timeoutMs: 200, complete: completeFor(2, 1) })
      .then((r) => {
        order.push("tx");
        return r;
      });
    expect(await rig.run(raw)).toEqual(Buffer.from([1, 0xaa, 0xaa]));
    expect(await rig.run(tx)).toEqual(Buffer.from([2, 0xaa]));
    expect(order).toEqual(["raw", "tx"]);
  });
});

describe("SerialLinePool and checkLineSettings", () => {
  it("shares one line per path and refuses a second user with other settings", async () => {
    const rig = rigs();
    const sim = rig.line.addPort("/dev/ttySIM0");
    const pool = rig.lines;
    const a = pool.acquire("/dev/ttySIM0", S9600, "meter-a");
    const b = pool.acquire("/dev/ttySIM0", { ...S9600 }, "meter-b");
    expect(b).toBe(a);
    let err: unknown;
    try {
      pool.acquire("/dev/ttySIM0", { ...S9600, parity: "even" }, "meter-c");
    } catch (e) {
      err = e;
    }
    expect(isHearthError(err, ErrorCode.ConfigInvalid)).toBe(true);
    expect((err as Error).message).toContain("meter-a, meter-b");
    await rig.run(pool.release("/dev/ttySIM0", "meter-a"));
    await rig.until("open", () => a.isOpen);
    await rig.run(pool.release("/dev/ttySIM0", "meter-b"));
    expect(sim.isPortOpen("/dev/ttySIM0")).toBe(false);
  });

  it("reports devices that disagree on one path, and ignores tcp:// ports", () => {
    const problems = checkLineSettings([
      { id: "elec", port: "/dev/ttyUSB0", serial: S9600 },
      { id: "water", port: "/dev/ttyUSB0", serial: { ...S9600, baud: 2400, parity: "even" } },
      { id: "ok", port: "/dev/ttyUSB1", serial: S9600 },
      { id: "tcp", port: "tcp://10.0.0.2:502", serial: { ...S9600, baud: 19200 } },
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.devices).toEqual(["elec", "water"]);
    expect(problems[0]?.message).toContain("water 2400 8E1");
  });
});
