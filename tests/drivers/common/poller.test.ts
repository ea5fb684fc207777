import { describe, expect, it } from "vitest";
import { MeterPoller, type PollOutcome } from "../../../drivers/common/poller.js";
import { VirtualClock } from "../../../src/core/clock.js";
import { ErrorCode, HearthError } from "../../../src/core/errors.js";
import { captureLog } from "../../helpers/log-capture.js";
import { RecordingReadingSink } from "../../helpers/reading-sink.js";
import { runUntil } from "../../helpers/wait.js";

/** The meter-poll engine alone, on a virtual clock, with polls that are plain functions. */
function engine(offlineAfter = 3) {
  const clock = new VirtualClock();
  const sink = new RecordingReadingSink();
  const { log, lines } = captureLog();
  const poller = new MeterPoller("Test", { sink, clock, log, offlineAfter });
  const until = (what: string, cond: () => boolean) => runUntil(clock, what, cond);
  const status = (id = "m") => poller.status().find((s) => s.id === id);
  const warnings = () => lines.filter((l) => l.level === 40).map((l) => String(l.msg));
  /** stop() waits for the poll in flight, which may be waiting on the clock. */
  const stop = async () => {
    let stopped = false;
    void poller.stop().then(() => {
      stopped = true;
    });
    await until("stopped", () => stopped);
  };
  return { clock, sink, lines, poller, until, status, warnings, stop };
}

const failure = (code: ErrorCode, message = `failed with ${code}`, context = {}) =>
  new HearthError(message, code, context);
const silent = (): PollOutcome => ({
  answered: false,
  readings: [],
  values: [],
  errors: [failure(ErrorCode.Timeout, "no reply")],
});
const answer = (value = 1): PollOutcome => ({
  answered: true,
  readings: [{ device: "m", channel: "power_w", value, mono: 0 }],
  values: [{ name: "power", value, unit: "W" }],
  errors: [],
});

describe("MeterPoller schedule", () => {
  it("polls at once, then every interval counted from the start of the previous poll", async () => {
    const { clock, poller, until, sink, stop } = engine();
    const starts: number[] = [];
    poller.add("m", 1000, async () => {
      starts.push(clock.monotonicMs());
      // A poll that takes 200 ms of line time does not push the next one back.
      await new Promise<void>((r) => clock.setTimeout(r, 200));
      return answer();
    });
    poller.start();
    await until("three polls", () => starts.length >= 3);
    expect(starts.slice(0, 3)).toEqual([0, 1000, 2000]);
    expect(sink.of("m", "power_w").length).toBeGreaterThanOrEqual(2);
    await stop();
  });

  it("shares a poll in flight with pollNow, and refuses an unknown id with ConfigInvalid", async () => {
    const { clock, poller, until, stop } = engine();
    let polls = 0;
    poller.add("m", 60_000, async () => {
      polls++;
      await new Promise<void>((r) => clock.setTimeout(r, 100));
      return answer(polls);
    });
    poller.start();
    await until("the first poll under way", () => polls === 1);
    const shared = poller.pollNow("m");
    let done = false;
    void shared.then(() => {
      done = true;
    });
    await until("the poll done", () => done);
    expect(polls).toBe(1);
    expect((await shared).values).toEqual([{ name: "power", value: 1, unit: "W" }]);
    await expect(poller.pollNow("nope")).rejects.toMatchObject({ code: ErrorCode.ConfigInvalid });
    await stop();
  });
});

describe("MeterPoller reads", () => {
  it("retries a failed read as often as asked, counting and logging each failed attempt", async () => {
    const { poller, status, lines, stop } = engine();
    poller.add("m", 60_000, async () => answer());
    let attempts = 0;
    const attempt = () => {
      attempts++;
      return attempts < 3
        ? Promise.reject(failure(ErrorCode.Timeout, `silent ${attempts}`))
        : Promise.resolve(42);
    };
    const r = await poller.read("m", "power (0203)", 2, attempt);
    // read() runs only while the poller runs: not started, no attempt.
    expect(r).toEqual({ ok: false });
    expect(attempts).toBe(0);
    poller.start();
    const again = await poller.read("m", "power (0203)", 2, attempt);
    expect(again).toEqual({ ok: true, value: 42 });
    expect(attempts).toBe(3);
    expect(status()?.timeouts).toBe(2);
    expect(status()?.lastError).toBe("silent 2");
    expect(lines.filter((l) => l.level === 20).map((l) => l.msg)).toEqual([
      "Read of m power (0203) failed (attempt 1/3): silent 1",
      "Read of m power (0203) failed (attempt 2/3): silent 2",
    ]);
    await stop();
  });

  it("gives the last attempt's error after the retries, and does not retry a refusal", async () => {
    const { poller, status, stop } = engine();
    poller.add("m", 60_000, async () => answer());
    poller.start();
    let tries = 0;
    const failed = await poller.read("m", "", 1, () => {
      tries++;
      return Promise.reject(failure(ErrorCode.Timeout, `try ${tries}`));
    });
    expect(failed.ok).toBe(false);
    expect(!failed.ok && failed.error?.message).toBe("try 2");
    let refusals = 0;
    const refused = await poller.read("m", "", 5, () => {
      refusals++;
      return Promise.reject(failure(ErrorCode.DeviceException, "no such register"));
    });
    expect(!refused.ok && refused.error?.code).toBe(ErrorCode.DeviceException);
    expect(refusals).toBe(1);
    expect(status()?.exceptions).toBe(1);
    // Anything thrown that is not a HearthError is counted as Internal, naming the meter.
    const bug = await poller.read("m", "", 0, () => Promise.reject(new TypeError("oops")));
    expect(!bug.ok && bug.error?.code).toBe(ErrorCode.Internal);
    expect(!bug.ok && bug.error?.context.device).toBe("m");
    await stop();
  });

  it("counts bad frames and warns about each, naming the meter and the byte", async () => {
    const { poller, status, lines, stop } = engine();
    poller.add("m", 60_000, async () => answer());
    poller.start();
    await poller.read("m", "", 1, () =>
      Promise.reject(failure(ErrorCode.FrameChecksum, "checksum at offset 7 is 00", { offset: 7 })),
    );
    expect(status()?.badFrames).toBe(2);
    const bad = lines.filter((l) => l.level === 40);
    expect(bad).toHaveLength(2);
    expect(bad[0]).toMatchObject({
      device: "m",
      code: ErrorCode.FrameChecksum,
      offset: 7,
      msg: "Bad Test frame from m: checksum at offset 7 is 00",
    });
    await stop();
  });
});

describe("MeterPoller availability", () => {
  it("goes offline after N failed polls, warning up to then, and back online at the first answer", async () => {
    const { poller, until, sink, status, warnings, lines, stop } = engine(3);
    let healthy = false;
    poller.add("m", 1000, async () => (healthy ? answer() : silent()));
    poller.start();
    await until("offline", () => sink.states("m").includes("offline"));
    expect(status()).toMatchObject({ availability: "offline", consecutiveFailures: 3, failedPolls: 3 });
    expect(warnings()).toEqual([
      "Poll of Test meter m failed (1/3): no reply",
      "Poll of Test meter m failed (2/3): no reply",
      "Poll of Test meter m failed (3/3): no reply",
    ]);
    expect(sink.changes[0]?.reason).toBe("3 consecutive polls failed; last: no reply");
    // Once offline, further failed polls are counted but not warned about again.
    await until("two more polls", () => (status()?.polls ?? 0) >= 5);
    expect(warnings()).toHaveLength(3);
    expect(sink.states("m")).toEqual(["offline"]);
    healthy = true;
    await until("online again", () => sink.states("m").at(-1) === "online");
    expect(sink.states("m")).toEqual(["offline", "online"]);
    expect(status()?.consecutiveFailures).toBe(0);
    expect(lines.some((l) => l.level === 30 && l.msg === "Test meter m is online")).toBe(true);
    await stop();
  });

  it("keeps a meter that answers online, warning about the reads that failed", async () => {
    const { poller, until, sink, status, warnings, stop } = engine();
    poller.add("m", 1000, async () => ({
      ...answer(),
      errors: [failure(ErrorCode.DeviceException, "refused voltage")],
    }));
    poller.start();
    await until("two polls", () => (status()?.polls ?? 0) >= 2);
    expect(sink.states("m")).toEqual(["online"]);
    expect(status()?.failedPolls).toBe(0);
    expect(warnings().slice(0, 2)).toEqual([
      "Test meter m: refused voltage",
      "Test meter m: refused voltage",
    ]);
    await stop();
  });

  it("takes a poll that throws as a failed poll and keeps the schedule", async () => {
    const { poller, until, status, lines, stop } = engine();
    poller.add("m", 1000, () => Promise.reject(new Error("driver bug")));
    poller.start();
    await until("two polls", () => (status()?.polls ?? 0) >= 2);
    expect(status()?.failedPolls).toBe(2);
    expect(lines.find((l) => l.level === 50)?.msg).toBe("Test poll of m failed unexpectedly");
    const r = await poller.pollNow("m");
    expect(r.ok).toBe(false);
    expect(r.errors[0]?.code).toBe(ErrorCode.Internal);
    await stop();
  });

  it("says nothing about a meter whose poll stop() cut short, and tries no more after stop", async () => {
    const { clock, poller, until, sink, status, stop } = engine(1);
    let attempts = 0;
    poller.add("m", 1000, async () => {
      const r = await poller.read("m", "", 5, async () => {
        attempts++;
        await new Promise<void>((r) => clock.setTimeout(r, 100));
        throw failure(ErrorCode.Timeout, "no reply");
      });
      return { answered: false, readings: [], values: [], errors: r.ok || !r.error ? [] : [r.error] };
    });
    poller.start();
    await until("the second attempt", () => attempts === 2);
    await stop();
    expect(attempts).toBe(2);
    expect(status()?.polls).toBe(1);
    expect(status()?.failedPolls).toBe(0);
    expect(sink.changes).toEqual([]);
  });
});
