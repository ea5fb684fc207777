import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/log.js";
import { parseReceiverConfig } from "../../src/receiver/config.js";
import { SeenPruner } from "../../src/receiver/prune.js";
import { SqliteStore } from "../../src/receiver/store/sqlite.js";
import { waitFor } from "../helpers/wait.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("pruning messages_seen (SeenPruner)", () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "hearth-rx-prune-"));
    store = new SqliteStore(join(dir, "rx.db"));
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const seen = (i: number, receivedAt: number) => ({
    id: `m-${i}`,
    home: "h",
    type: "alert",
    seq: i,
    laneSeq: i,
    receivedAt,
  });

  it("forgets ids older than the retention, batch after batch, and keeps the younger ones", async () => {
    const clock = new VirtualClock({ wallStartMs: 100 * DAY });
    const now = clock.wallMs();
    for (let i = 0; i < 7; i++) await store.markSeen(seen(i, now - 31 * DAY - i));
    for (let i = 7; i < 10; i++) await store.markSeen(seen(i, now - 29 * DAY));
    const pruner = new SeenPruner(
      { retentionMs: 30 * DAY, everyMs: HOUR, batch: 2 },
      { store, clock, log: silentLogger() },
    );
    expect(await pruner.prune()).toBe(7);
    expect(await store.countSeen()).toBe(3);
    expect(await store.markSeen(seen(8, now))).toBe(false);
  });

  it("prunes at start and then on its timer, as time passes the retention", async () => {
    const clock = new VirtualClock({ wallStartMs: 100 * DAY });
    const now = clock.wallMs();
    await store.markSeen(seen(1, now - 31 * DAY));
    await store.markSeen(seen(2, now - 30 * DAY + HOUR / 2));
    const pruner = new SeenPruner(
      { retentionMs: 30 * DAY, everyMs: HOUR, batch: 100 },
      { store, clock, log: silentLogger() },
    );
    pruner.start();
    await waitFor("the first prune", async () => (await store.countSeen()) === 1);
    clock.advanceTo(clock.monotonicMs() + HOUR);
    await waitFor("the prune on the timer", async () => (await store.countSeen()) === 0);
    await pruner.stop();
  });
});

describe("seen_retention (config)", () => {
  it("defaults to 30 days and refuses less than one", () => {
    expect(parseReceiverConfig(undefined, "(flags)", { brokers: ["mqtt://b:1883"] }).seen_retention).toBe(
      30 * DAY,
    );
    expect(() =>
      parseReceiverConfig("version: 1\nseen_retention: 12h\n", "rx.yaml", { brokers: ["mqtt://b:1883"] }),
    ).toThrow(/rx\.yaml: seen_retention: at least 1d/);
  });
});
