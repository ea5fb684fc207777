import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { WEEK_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import type { StorageFault } from "../../src/outbox/storage-health.js";
import { captureLog } from "../helpers/log-capture.js";
import { cannotFailExt4, type FailingExt4, mountFailingExt4 } from "./ext4.js";
import { alertBody, alertId, eventBody, telemetryBody } from "./fixtures.js";

/*
 * Issue 9: the state directory's filesystem turns read-only under a running outbox (ext4 with
 * errors=remount-ro after an error, as an SD card's root does). The outbox moves, as it is, to a copy
 * in the runtime directory and keeps taking alerts; the first start on a repaired, writable card
 * takes the copy back. Before: every later alert was held in a memory lane of 2,000, lost with the
 * process, and its seq handed out again by the next life.
 */
let n = 0;
const tick = () => new Promise<void>((r) => setImmediate(r));

function outboxAt(path: string, runtimeDir: string | undefined) {
  const capture = captureLog();
  const outbox = new SqliteOutbox({
    path,
    home: "home-1",
    timeZone: "Asia/Shanghai",
    clock: new VirtualClock({ wallStartMs: Date.UTC(2026, 2, 2, 1, 2, 3) }),
    ids: new SeededIds(`ro-mid-${n++}`),
    maxSizeBytes: 64 * 1024 * 1024,
    retentionMs: WEEK_MS,
    telemetryBatch: 10,
    telemetryFlushMs: 2000,
    ...(runtimeDir !== undefined ? { runtimeDir } : {}),
    log: capture.log,
  });
  const faults: (StorageFault | undefined)[] = [];
  outbox.onStorage((f) => faults.push(f));
  return { outbox, capture, faults };
}

describe.skipIf(cannotFailExt4() !== undefined)(
  "outbox: the filesystem turns read-only while it runs (ext4 errors=remount-ro)",
  () => {
    let fs: FailingExt4 | undefined;
    let runtimeDir: string | undefined;
    afterEach(() => {
      fs?.unmount();
      fs = undefined;
      if (runtimeDir) rmSync(runtimeDir, { recursive: true, force: true });
      runtimeDir = undefined;
    });

    it("moves to a runtime copy, keeps every alert on it with the next seq, and the first writable start takes it back", async () => {
      fs = mountFailingExt4(16 * 1024 * 1024);
      runtimeDir = mkdtempSync(join(tmpdir(), "hearth-run-"));
      const path = join(fs.dir, "outbox.db");
      const { outbox, faults, capture } = outboxAt(path, runtimeDir);
      outbox.open();
      const before = [outbox.putAlert(alertBody(alertId(1))), outbox.putEvent(eventBody(1))];
      for (let i = 0; i < 10; i++) outbox.putTelemetry(telemetryBody(i));
      outbox.markDelivered([before[1]?.seq ?? 0]);

      fs.failReadOnly();
      const after = [outbox.putAlert(alertBody(alertId(2))), outbox.putEvent(eventBody(2))];
      for (let i = 10; i < 20; i++) outbox.putTelemetry(telemetryBody(i));
      outbox.flush();
      await tick();
      expect(after.map((m) => m.seq)).toEqual([(before[1]?.seq ?? 0) + 11, (before[1]?.seq ?? 0) + 12]);
      expect(faults).toEqual([expect.objectContaining({ reason: "read_only" })]);
      expect(outbox.storageHealth()).toMatchObject({ state: "read_only", memory_lane: 0 });
      expect(readdirSync(runtimeDir).filter((f) => f.endsWith(".db"))).toHaveLength(1);
      expect(
        capture.lines.some((l) => String(l.msg).includes("moved to a copy in the runtime directory")),
      ).toBe(true);
      const undelivered = outbox.pending(100).map((m) => m.id);
      expect(undelivered).toEqual(expect.arrayContaining([before[0]?.id, ...after.map((m) => m.id)]));
      expect(outbox.depth()).toEqual({ alert: 2, event: 1, telemetry: 20 });
      const lastSeq = outbox.lastSeq();
      outbox.close();

      // The card repaired (unmount, e2fsck, mount: a reboot's part, without losing the runtime dir).
      fs.repair();
      const next = outboxAt(path, runtimeDir);
      next.outbox.open();
      await tick();
      expect(next.faults).toEqual([]);
      expect(next.outbox.storageHealth().state).toBe("ok");
      expect(next.outbox.lastSeq()).toBe(lastSeq);
      expect(next.outbox.pending(100).map((m) => m.id)).toEqual(undelivered);
      expect(readdirSync(runtimeDir).filter((f) => f.endsWith(".db"))).toEqual([]);
      expect(next.outbox.putEvent(eventBody(3)).seq).toBe(lastSeq + 1);
      next.outbox.close();
    });

    it("without a runtime directory: moves into memory, still takes alerts, nothing held in the memory lane", async () => {
      fs = mountFailingExt4(16 * 1024 * 1024);
      const path = join(fs.dir, "outbox.db");
      const { outbox, faults } = outboxAt(path, undefined);
      outbox.open();
      const first = outbox.putAlert(alertBody(alertId(1)));
      fs.failReadOnly();
      const alerts = Array.from({ length: 30 }, (_, i) => outbox.putAlert(alertBody(alertId(10 + i))));
      await tick();
      expect(alerts.map((a) => a.seq)).toEqual(alerts.map((_, i) => first.seq + 1 + i));
      expect(faults).toEqual([expect.objectContaining({ reason: "read_only" })]);
      expect(outbox.storageHealth()).toMatchObject({ state: "read_only", memory_lane: 0 });
      expect(outbox.depth().alert).toBe(31);
      expect(existsSync(`${path}-wal`)).toBe(true);
      outbox.close();
    });
  },
);
