import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { pendingWhere } from "../../../src/outbox/inspect.js";
import { OUTBOX_FILE } from "../../../src/outbox/types.js";
import type { FaultCloud } from "./cloud.js";
import type { ScenarioRow } from "./report.js";
import { faultSize } from "./size.js";

/**
 * What a scenario made and what reached the cloud. "Made durable" has two witnesses: the child's word
 * after each put returned (`committed`), and the outbox file itself, read after each life of the agent
 * (`readOutbox`). A row the child reported and the file lost is as lost as one the cloud never saw.
 */
export class Ledger {
  readonly #committed = new Set<string>();
  readonly #durableAlertsEvents = new Set<string>();
  readonly #durableTelemetry = new Set<string>();
  /** Rows the outbox still held undelivered at its last reading: kept for the next start, not lost. */
  #queued = new Set<string>();
  /** Telemetry that was undelivered in one reading of the outbox and gone from the next. */
  readonly #goneUndelivered = new Set<string>();
  #telemetryMade = 0;
  #faults = 0;

  committed(id: string): void {
    this.#committed.add(id);
  }

  /** Adds one life's telemetry count (the child counts from zero in each life). */
  telemetryMade(n: number): void {
    this.#telemetryMade += n;
  }

  fault(n = 1): void {
    this.#faults += n;
  }

  get faults(): number {
    return this.#faults;
  }

  /** Alert and event ids in the order the child reported them committed. */
  committedInOrder(): string[] {
    return [...this.#committed];
  }

  /** Alert and event ids the child reported committed that the outbox file does not hold. */
  committedNotInOutbox(): string[] {
    return [...this.#committed].filter((id) => !this.#durableAlertsEvents.has(id));
  }

  /** Every alert and event made durable, by either witness. */
  durable(): Set<string> {
    return new Set([...this.#committed, ...this.#durableAlertsEvents]);
  }

  durableTelemetry(): ReadonlySet<string> {
    return this.#durableTelemetry;
  }

  /**
   * Reads the agent's outbox file (the agent must not be running): every row it holds is durable, and
   * its undelivered rows are what the next start sends. A file that cannot be read (corrupt, truncated)
   * is tolerated: the ledger keeps what it knew, and the reason is returned (undefined: read).
   */
  readOutbox(stateDir: string): string | undefined {
    const path = join(stateDir, OUTBOX_FILE);
    if (!existsSync(path)) return undefined;
    return this.readOutboxFile(path, true);
  }

  /**
   * Reads any outbox file, e.g. one the agent moved aside as corrupt: what it still holds is durable.
   * `queued` false: its undelivered rows will not be sent by anyone (the agent opened a fresh file),
   * so they do not count as queued. Returns why the file could not be read, or undefined.
   */
  readOutboxFile(path: string, queued: boolean): string | undefined {
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { fileMustExist: true, readonly: true });
      // Schema 4 keeps the delivered state in `pending` (src/outbox/schema.ts); older files in the row.
      const rows = db
        .prepare(`SELECT id, lane, NOT (${pendingWhere(db)}) AS delivered FROM messages m`)
        .all() as {
        id: string;
        lane: number;
        delivered: number;
      }[];
      const before = this.#queued;
      if (queued) this.#queued = new Set();
      const present = new Set<string>();
      for (const r of rows) {
        present.add(r.id);
        (r.lane === 2 ? this.#durableTelemetry : this.#durableAlertsEvents).add(r.id);
        if (queued && r.delivered === 0) this.#queued.add(r.id);
      }
      // Only the outbox's size bound deletes undelivered rows (src/outbox/bound.ts): these are its drops.
      if (queued)
        for (const id of before)
          if (this.#durableTelemetry.has(id) && !present.has(id)) this.#goneUndelivered.add(id);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    } finally {
      db?.close();
    }
  }

  /** Ids the cloud holds nowhere and the outbox no longer queues (the row's `lost`, uncapped). */
  lostIds(cloud: FaultCloud): string[] {
    return [...this.durable()].filter((id) => !cloud.deliveries.has(id) && !this.#queued.has(id));
  }

  /** The scenario's figures against what the cloud received. */
  row(
    scenario: string,
    faults: string,
    cloud: FaultCloud,
    meta: { command: string; notes?: Record<string, number | string> },
  ): ScenarioRow {
    const durable = this.durable();
    let delivered = 0;
    let duplicates = 0;
    const lost: string[] = [];
    for (const id of durable) {
      const n = cloud.deliveries.get(id)?.length ?? 0;
      if (n === 0) {
        if (!this.#queued.has(id)) lost.push(id);
      } else {
        delivered++;
        duplicates += n - 1;
      }
    }
    const queuedUndelivered = (ids: ReadonlySet<string>) =>
      [...this.#queued].filter((id) => ids.has(id) && !cloud.deliveries.has(id)).length;
    let telemetryDelivered = 0;
    let telemetryDuplicates = 0;
    for (const id of this.#durableTelemetry) {
      const n = cloud.deliveries.get(id)?.length ?? 0;
      if (n > 0) {
        telemetryDelivered++;
        telemetryDuplicates += n - 1;
      }
    }
    return {
      scenario,
      faults,
      faultsInjected: this.#faults,
      alertsEventsMade: durable.size,
      alertsEventsDelivered: delivered,
      alertsEventsLost: lost.length,
      stillQueued: queuedUndelivered(durable),
      lostIds: lost.slice(0, 20),
      duplicates: duplicates + telemetryDuplicates,
      telemetryMade: this.#telemetryMade,
      telemetryDurable: this.#durableTelemetry.size,
      telemetryDelivered,
      telemetryStillQueued: queuedUndelivered(this.#durableTelemetry),
      telemetryDropped: [...this.#goneUndelivered].filter((id) => !cloud.deliveries.has(id)).length,
      telemetryShed: Math.max(0, this.#telemetryMade - this.#durableTelemetry.size),
      size: faultSize(),
      ...meta,
    };
  }
}

const STORED_TYPES = new Set(["alert", "event", "telemetry", "summary"]);

/** seqs the cloud saw on two different ids: an outbox that reused a seq after a crash or a clock jump. */
export function seqReuse(cloud: FaultCloud): string[] {
  const owner = new Map<number, string>();
  const reused: string[] = [];
  for (const [id, list] of cloud.deliveries)
    for (const d of list) {
      if (d.seq === undefined || !STORED_TYPES.has(d.type)) continue;
      const first = owner.get(d.seq);
      if (first === undefined) owner.set(d.seq, id);
      else if (first !== id) reused.push(`seq ${d.seq}: ${first} and ${id}`);
    }
  return reused;
}

/** lane_seqs the cloud saw on two different ids of the same lane (alert; event and summary; telemetry). */
export function laneSeqReuse(cloud: FaultCloud): string[] {
  const lanes = new Map<string, Map<number, string>>();
  const reused: string[] = [];
  for (const [id, list] of cloud.deliveries)
    for (const d of list) {
      if (d.laneSeq === undefined || !STORED_TYPES.has(d.type)) continue;
      const lane = d.type === "summary" ? "event" : d.type;
      const owner = lanes.get(lane) ?? new Map<number, string>();
      lanes.set(lane, owner);
      const first = owner.get(d.laneSeq);
      if (first === undefined) owner.set(d.laneSeq, id);
      else if (first !== id) reused.push(`${lane} lane_seq ${d.laneSeq}: ${first} and ${id}`);
    }
  return reused;
}
