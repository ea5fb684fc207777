/**
 * Press → durable → PUBACK against its floor, in one run (issue 14): a simulated button's press goes
 * through the agent's real receiver, pipeline, outbox (synchronous = FULL) and uplink to Mosquitto;
 * after each press the floor is measured on the same disk and the same broker: one raw better-sqlite3
 * INSERT committed with the outbox's pragmas (WAL, synchronous = FULL) plus one raw MQTT.js QoS 1
 * publish of a message the size of the press's alert, waited for until its PUBACK.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import mqtt from "mqtt";
import { pct, type Sample, simulatedPresses } from "./press-rig.js";
import type { SuiteRow } from "./table.js";

/** About the size of a call alert's envelope. */
const PAYLOAD = Buffer.alloc(520, "x");

/** When one floor sample began, its commit returned, and its PUBACK came (performance.now(), ms). */
export interface FloorStamps {
  start: number;
  committed: number;
  end: number;
}

/** Per press, in order: ours (advert → the alert's PUBACK) and the floor measured right after it, ms. */
export interface PressPairs {
  ours: number[];
  floor: number[];
  /** The same presses' stamps, for a tool that splits them into steps (press-segments.ts). */
  samples: Sample[];
  floorStamps: FloorStamps[];
}

/** `presses` presses through the agent, each followed by one floor sample on the same disk and broker. */
export async function pressPairs(presses: number): Promise<PressPairs> {
  const floors: FloorStamps[] = [];
  let raw: { db: Database.Database; insert: Database.Statement; client: mqtt.MqttClient } | undefined;
  const samples = await simulatedPresses(presses, 20, async ({ brokerUrl, stateDir }) => {
    if (!raw) {
      const db = new Database(join(stateDir, "floor.db"));
      // As the outbox opens a fresh file (issue 14): the WAL index in memory, not in a shared -shm,
      // and 1 KiB pages.
      db.pragma("locking_mode = EXCLUSIVE");
      db.pragma("page_size = 1024");
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      // The outbox keeps checkpoints off the press path (DURABLE_CHECKPOINT_FRAMES in src/outbox/db.ts;
      // the delivery marks' commits checkpoint, after the PUBACK): so does the floor, below, outside
      // its timed span. Inside it, its tail would hold a checkpoint every thousand frames and ours none;
      // never checkpointing, its every commit would grow the WAL file, which ours, reused, does not.
      db.pragma("wal_autocheckpoint = 0");
      db.exec("CREATE TABLE IF NOT EXISTS m (id TEXT PRIMARY KEY, body BLOB NOT NULL)");
      const client = await mqtt.connectAsync(brokerUrl, {
        protocolVersion: 5,
        clientId: "bench-floor",
        clean: true,
      });
      raw = { db, insert: db.prepare("INSERT INTO m (id, body) VALUES (?, ?)"), client };
    }
    const start = performance.now();
    raw.insert.run(randomUUID(), PAYLOAD);
    const committed = performance.now();
    await raw.client.publishAsync("bench/floor", PAYLOAD, { qos: 1 });
    floors.push({ start, committed, end: performance.now() });
    // About a thousand frames (a row, its key's page, page 1): as the marks' commits after a PUBACK.
    if (floors.length % 300 === 0) raw.db.pragma("wal_checkpoint(PASSIVE)");
  });
  if (raw) {
    await raw.client.endAsync();
    raw.db.close();
  }
  const floorStamps = floors.slice(-samples.length);
  return {
    ours: samples.map((x) => x.acked - x.received),
    floor: floorStamps.map((f) => f.end - f.start),
    samples,
    floorStamps,
  };
}

export async function pressLatency(quick: boolean): Promise<SuiteRow[]> {
  const presses = quick ? 2000 : 4000;
  const pairs = await pressPairs(presses);
  const ours = [...pairs.ours].sort((a, b) => a - b);
  const floor = [...pairs.floor].sort((a, b) => a - b);
  const p99 = pct(ours, 99);
  const f99 = pct(floor, 99);
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  return [
    {
      measure: `press → durable → PUBACK, p50 (${presses} presses, Mosquitto, MQTT 5)`,
      ours: ms(pct(ours, 50)),
      baseline: `${ms(pct(floor, 50))} (one raw FULL commit + one raw QoS 1 publish)`,
      ratio: pct(ours, 50) / pct(floor, 50),
    },
    {
      measure: "press → durable → PUBACK, p99",
      ours: ms(p99),
      baseline: `${ms(f99)} (the same floor)`,
      ratio: p99 / f99,
      budget: "≤ 1.5× the floor",
      met: p99 <= 1.5 * f99,
    },
  ];
}
