import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detectionSchema } from "../../src/config/schema.js";
import { ControlServer } from "../../src/control/server.js";
import { socketPath } from "../../src/control/socket.js";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { packageRoot } from "../../src/core/paths.js";
import { DAY_MS, SECOND_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/index.js";
import { ROUTINE_KEY } from "../../src/pipeline/learned-models.js";
import { detectionOptions } from "../../src/pipeline/options.js";
import { routineChart } from "../../src/pipeline/routine.js";
import { ReplayEngine, type ReplayEngineOptions } from "../../src/replay/engine.js";
import { Household, recordLine } from "../../src/sim/household.js";
import { HOUSEHOLD_TZ } from "../../src/sim/household-profile.js";

const MAIN = join(packageRoot(), "dist/src/cli/main.js");

/** An agent's outbox database in a fresh state directory, as the agent leaves it. */
function outboxIn(dir: string): SqliteOutbox {
  return new SqliteOutbox({
    path: join(dir, "outbox.db"),
    home: "h1",
    timeZone: HOUSEHOLD_TZ,
    clock: new VirtualClock(),
    ids: new SeededIds("routine-cli"),
    maxSizeBytes: 1 << 20,
    retentionMs: 7 * DAY_MS,
    telemetryBatch: 10,
    telemetryFlushMs: SECOND_MS,
    log: silentLogger(),
  });
}

/** Sixteen ordinary days of a simulated home replayed into `store`; the routine the pipeline learned. */
function learnRoutineInto(store: ReplayEngineOptions["store"]) {
  const engine = new ReplayEngine({
    home: "h1",
    timeZone: HOUSEHOLD_TZ,
    detection: detectionOptions(detectionSchema.parse({})),
    emit: () => undefined,
    store,
  });
  for (const rec of new Household({ seed: 5, days: 16, incident: false }).records()) engine.push(rec);
  engine.finish();
  return engine.pipeline?.routine;
}

describe("hearth routine", () => {
  it("learns the routine from a replay and prints it as a chart of 7 weekdays × 24 hours", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-routine-"));
    const file = join(dir, "in.jsonl");
    const h = new Household({ seed: 5, days: 16, incident: false });
    writeFileSync(file, `${[...h.records()].map(recordLine).join("\n")}\n`);
    const r = spawnSync(process.execPath, [MAIN, "routine", "--input", file], { encoding: "utf8" });
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^learned routine: 1[56]\.\d days of history$/);
    const rows = lines.filter((l) => /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) {2}/.test(l));
    expect(rows).toHaveLength(7);
    // Small hours are quieter than mid-morning on the whole week.
    const dens = (col: number) => rows.reduce((s, row) => s + " .:-=+*#%@".indexOf(row[5 + col] ?? " "), 0);
    expect(dens(3)).toBeLessThan(dens(10));
    expect(r.stdout).toMatch(/machine steps \(not counted as a person\): meter-1: \d+ W/);
  });

  it("says so when there is nothing learned in the state directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-routine-"));
    const r = spawnSync(process.execPath, [MAIN, "routine", "--state-dir", dir], { encoding: "utf8" });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/no outbox/);
  });

  it("reads the routine the pipeline saved in the outbox's key/value store and charts it the same", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-routine-"));
    const outbox = outboxIn(dir);
    outbox.open();
    // The pipeline saves its models in the store at every local midnight and when it stops.
    const learned = learnRoutineInto(outbox.kv);
    outbox.close();
    expect(learned?.ready()).toBe(true);
    const r = spawnSync(process.execPath, [MAIN, "routine", "--state-dir", dir], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${routineChart(learned as NonNullable<typeof learned>)}\n`);
    expect(r.stdout.split("\n")[0]).toMatch(/^learned routine: 1[56]\.\d days of history$/);
  });

  it("says so when the outbox holds nothing learned yet", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-routine-"));
    const outbox = outboxIn(dir);
    outbox.open();
    outbox.kv.set("ble.counter.button-1", "7");
    const sent = outbox.putEvent({ event: "agent_started", data: {} });
    outbox.markDelivered([sent.seq]);
    outbox.close();
    const r = spawnSync(process.execPath, [MAIN, "routine", "--state-dir", dir], { encoding: "utf8" });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/nothing learned yet/);
    // Reading the routine leaves the agent's messages alone (its own retention prunes them).
    const after = outboxIn(dir);
    after.open();
    expect(after.deliveredRange(0).map((m) => m.seq)).toEqual([sent.seq]);
    expect(after.kv.get("ble.counter.button-1")).toBe("7");
    after.close();
  });

  it("asks the running agent over its control socket, which holds its outbox file to itself", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-routine-"));
    const outbox = outboxIn(dir);
    outbox.open();
    const learned = learnRoutineInto(outbox.kv);
    expect(learned?.ready()).toBe(true);
    // The outbox stays open, as in the running agent; the agent's handler answers from its kv.
    const control = new ControlServer(
      socketPath(dir),
      { learned_routine: () => ({ state: outbox.kv.get(ROUTINE_KEY) ?? null }) },
      silentLogger(),
    );
    await control.start();
    try {
      const child = spawn(process.execPath, [MAIN, "routine", "--state-dir", dir]);
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
      });
      const code = await new Promise((r) => child.once("exit", r));
      expect(err).toBe("");
      expect(code).toBe(0);
      expect(out).toBe(`${routineChart(learned as NonNullable<typeof learned>)}\n`);
    } finally {
      await control.stop();
      outbox.close();
    }
  });
});
