import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { randomIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { DAY_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/index.js";
import { minReaderKey, SCHEMA_VERSION } from "../../src/outbox/schema.js";

const open = (path: string) => {
  const o = new SqliteOutbox({
    path,
    home: "h1",
    timeZone: "UTC",
    clock: new VirtualClock(),
    ids: randomIds,
    maxSizeBytes: 16 * 1024 * 1024,
    retentionMs: DAY_MS,
    telemetryBatch: 10,
    telemetryFlushMs: 2000,
    log: silentLogger(),
  });
  o.open();
  return o;
};

/** A file as a newer release leaves it: an additive migration to the next schema (a new table, a new column). */
function migratedByNewer(path: string, minReader: number | undefined): void {
  const raw = new Database(path);
  const next = SCHEMA_VERSION + 1;
  raw.exec("CREATE TABLE IF NOT EXISTS future (x INTEGER); ALTER TABLE messages ADD COLUMN future_col TEXT");
  raw.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(next));
  if (minReader !== undefined)
    raw.prepare("INSERT INTO meta (key, value) VALUES (?, ?)").run(minReaderKey(next), String(minReader));
  raw.close();
}

describe("the outbox after a rolled-back update", () => {
  it("an additive migration that names this schema as still able to use the file: the old agent keeps it on disk", () => {
    const path = join(mkdtempSync(join(tmpdir(), "hearth-rb-")), "outbox.db");
    const a = open(path);
    a.putEvent({ event: "button", data: {} });
    a.close();
    migratedByNewer(path, SCHEMA_VERSION);
    const b = open(path);
    expect(b.storageHealth().state).toBe("ok");
    expect(b.putEvent({ event: "button", data: {} }).seq).toBe(2);
    expect(b.pending(10).length).toBe(2);
    b.close();
  });

  it("a migration that does not say so: the file is left alone, the agent runs from memory (as before)", () => {
    const path = join(mkdtempSync(join(tmpdir(), "hearth-rb-")), "outbox.db");
    open(path).close();
    migratedByNewer(path, undefined);
    const b = open(path);
    expect(b.storageHealth().state).toBe("read_only");
    b.close();
    const other = join(mkdtempSync(join(tmpdir(), "hearth-rb-")), "outbox.db");
    open(other).close();
    migratedByNewer(other, SCHEMA_VERSION + 1);
    const c = open(other);
    expect(c.storageHealth().state).toBe("read_only");
    c.close();
  });
});
