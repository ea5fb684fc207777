import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AlertBody } from "../../src/contract/messages.js";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { WEEK_MS } from "../../src/core/time.js";
import { annotateQueued } from "../../src/outbox/annotate.js";
import { OutboxDb } from "../../src/outbox/db.js";
import { emptyLedger } from "../../src/outbox/ledger.js";
import { MemoryLane } from "../../src/outbox/memory-lane.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { alertBody, alertId, eventBody } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "hearth-annotate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function outbox(path: string): SqliteOutbox {
  const o = new SqliteOutbox({
    path,
    home: "home-1",
    timeZone: "Asia/Shanghai",
    clock: new VirtualClock({ wallStartMs: Date.UTC(2026, 11, 7) }),
    ids: new SeededIds("annotate"),
    maxSizeBytes: 64 * 1024 * 1024,
    retentionMs: WEEK_MS,
    telemetryBatch: 100,
    telemetryFlushMs: 2000,
    log: silentLogger(),
  });
  o.open();
  return o;
}

const SMS = { sent: [{ to: "+111", at: "2026-12-07T14:00:02.000+08:00" }], failed: [] };

describe("annotateQueued: evidence added to a queued alert message (the SMS fallback's record)", () => {
  it("a queued alert gets the key in its evidence, keeps id, seq and ts, survives a reopen, and the size follows", () => {
    const path = join(dir, "a.db");
    const first = outbox(path);
    const raised = first.putAlert(alertBody(alertId(1)));
    const size = first.sizeBytes();
    expect(first.annotateQueued(raised.seq, "sms", SMS)).toBe(true);
    expect(first.sizeBytes()).toBeGreaterThan(size);
    first.close();

    const second = outbox(path);
    const [m] = second.pending(10);
    expect(m?.envelope).toEqual({
      ...raised,
      body: { ...raised.body, evidence: { ...(raised.body as AlertBody).evidence, sms: SMS } },
    });
    second.close();
  });

  it("a delivered alert, an event or an unknown seq is left as it is", () => {
    const o = outbox(join(dir, "b.db"));
    const delivered = o.putAlert(alertBody(alertId(2)));
    o.markDelivered([delivered.seq]);
    const event = o.putEvent(eventBody(1));
    expect(o.annotateQueued(delivered.seq, "sms", SMS)).toBe(false);
    expect(o.annotateQueued(event.seq, "sms", SMS)).toBe(false);
    expect(o.annotateQueued(999, "sms", SMS)).toBe(false);
    expect(o.deliveredRange(0).map((m) => m.envelope)).toEqual([delivered]);
    expect(o.pending(10).map((m) => m.envelope)).toEqual([event]);
    o.close();
  });

  it("a message held in the memory lane (the disk refused it) is annotated there", () => {
    const lane = new MemoryLane();
    const ledger = emptyLedger();
    const opts = {
      home: "home-1",
      ids: new SeededIds("lane"),
      ts: (ms: number) => new Date(ms).toISOString(),
    };
    const { envelope } = lane.hold(
      { type: "alert", body: alertBody(alertId(3)), wallMs: 1_700_000_000_000, synced: true },
      ledger,
      opts,
    );
    const db = new OutboxDb(":memory:");
    expect(annotateQueued({ db, ledger, lane, log: silentLogger() }, envelope.seq, "sms", SMS)).toBe(true);
    expect((lane.pending(1)[0]?.envelope.body as AlertBody | undefined)?.evidence.sms).toEqual(SMS);
    lane.markDelivered([envelope.seq]);
    // Delivered from the lane, and nothing on the (closed) database: not annotated, and no throw.
    expect(annotateQueued({ db, ledger, lane, log: silentLogger() }, envelope.seq, "sms", {})).toBe(false);
  });
});
