import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { HOUR_MS, WEEK_MS } from "../../src/core/time.js";
import { outboxCheck } from "../../src/doctor/state-checks.js";
import { OUTBOX_FILE, SqliteOutbox } from "../../src/outbox/index.js";
import { eventBody, outboxOptions } from "../outbox/fixtures.js";
import { fakeProbes, NOW, provisionedHome } from "./doctor-rig.js";

const DOCTOR_HOME = { home: "home-doc", timeZone: "Europe/Berlin", retentionMs: WEEK_MS };

function outboxWithEvents(stateDir: string, n: number) {
  const clock = new VirtualClock({ wallStartMs: NOW });
  const o = new SqliteOutbox(
    outboxOptions(join(stateDir, OUTBOX_FILE), { ...DOCTOR_HOME, clock, ids: new SeededIds("doctor") }),
  );
  o.open();
  for (let i = 0; i < n; i++) o.putEvent(eventBody(i));
  o.close();
}

describe("doctor's outbox check (the file opened read-only)", () => {
  it("reports integrity, depth per lane and the oldest undelivered message", () => {
    const home = provisionedHome();
    outboxWithEvents(home.stateDir, 3);
    const c = outboxCheck(home.stateDir, fakeProbes(home.port, { now: () => NOW + 120_000 }));
    expect(c.status).toBe("ok");
    expect(c.detail).toMatch(
      /^integrity ok, \d+ KiB; waiting: alert 0, event 3, telemetry 0; oldest undelivered 2 min old$/,
    );
  });

  it("an undelivered message older than an hour is a ✗ pointing at the uplink", () => {
    const home = provisionedHome();
    outboxWithEvents(home.stateDir, 1);
    const c = outboxCheck(home.stateDir, fakeProbes(home.port, { now: () => NOW + 2 * HOUR_MS }));
    expect(c.status).toBe("fail");
    expect(c.fix).toMatch(/see the broker check/);
  });

  it("a file that is not a database is a ✗, and doctor does not crash", () => {
    const home = provisionedHome();
    writeFileSync(join(home.stateDir, OUTBOX_FILE), "this is not SQLite".repeat(300));
    const c = outboxCheck(home.stateDir, fakeProbes(home.port));
    expect(c.status).toBe("fail");
    expect(c.detail).toMatch(/not a database|file is not a database/);
  });

  it("while the agent runs it holds the file to itself: not a ✗, and `hearth status` named", () => {
    const home = provisionedHome();
    const o = new SqliteOutbox(
      outboxOptions(join(home.stateDir, OUTBOX_FILE), {
        ...DOCTOR_HOME,
        clock: new VirtualClock({ wallStartMs: NOW }),
        ids: new SeededIds("doctor-held"),
      }),
    );
    o.open();
    try {
      o.putEvent(eventBody(1));
      const c = outboxCheck(home.stateDir, fakeProbes(home.port));
      expect(c.status).toBe("ok");
      expect(c.detail).toMatch(/held by the running agent.*hearth status/);
    } finally {
      o.close();
    }
    expect(outboxCheck(home.stateDir, fakeProbes(home.port, { now: () => NOW })).detail).toMatch(
      /^integrity ok, .*event 1/,
    );
  });
});
