import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { WEEK_MS } from "../../src/core/time.js";
import { CHECKPOINT_FRAMES, PAGE_SIZE } from "../../src/outbox/db.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { alertBody, alertId, eventBody, outboxOptions, telemetryBody } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "hearth-checkpoint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One WAL frame: its header and a page. */
const FRAME = 24 + PAGE_SIZE;

function outboxAt(name: string): SqliteOutbox {
  const outbox = new SqliteOutbox(
    outboxOptions(join(dir, name), {
      clock: new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) }),
      ids: new SeededIds(name),
      retentionMs: WEEK_MS,
      telemetryBatch: 10,
    }),
  );
  outbox.open();
  return outbox;
}

/** A press as the agent writes it: its counter, its call alert and its button event, in one group. */
function press(outbox: SqliteOutbox, n: number) {
  return outbox.durably(() => {
    outbox.kv.set("bthome.counter.AA", String(n));
    const alert = outbox.putAlert({ ...alertBody(alertId(n)), evidence: { note: "z".repeat(3000) } });
    const event = outbox.putEvent(eventBody(n));
    return { alert, event };
  });
}

describe("WAL checkpoints off the alert's path (issue 14, press → PUBACK)", () => {
  it("no commit of a durable group (counter, alert, event, barrier) nor a durable put checkpoints; the next delivery mark does", () => {
    const outbox = outboxAt("groups.db");
    const file = join(dir, "groups.db");
    const start = statSync(file).size;
    const seqs: number[] = [];
    // Well past SQLite's 1000 frames: each alert of about 3 KiB is several 1 KiB pages.
    for (let i = 0; i < 150; i++) {
      const { alert, event } = press(outbox, i);
      seqs.push(alert.seq, event.seq, outbox.putAlert(alertBody(alertId(1000 + i))).seq);
    }
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(CHECKPOINT_FRAMES * FRAME);
    // A checkpoint writes pages into the file: it has not grown since the outbox opened.
    expect(statSync(file).size).toBe(start);
    outbox.markDelivered(seqs.slice(0, 1));
    expect(statSync(file).size).toBeGreaterThan(start);
    outbox.close();
  });

  it("a telemetry batch (no fsync of its own) checkpoints as SQLite would", () => {
    const outbox = outboxAt("telemetry.db");
    const file = join(dir, "telemetry.db");
    for (let i = 0; i < 150; i++) press(outbox, i);
    const start = statSync(file).size;
    for (let i = 0; i < 10; i++) outbox.putTelemetry(telemetryBody(i));
    expect(statSync(file).size).toBeGreaterThan(start);
    expect(outbox.depth().telemetry).toBe(10);
    outbox.close();
  });
});
