import { writeSync } from "node:fs";
import type { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { tapGroups } from "./group-tap.js";

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * One ledger line on stdout, fully written before the caller goes on (a line is the claim
 * "committed"). stdout is a pipe the parent may be slow to drain on a loaded machine: EAGAIN means
 * wait a millisecond and retry, not crash the child before the SIGKILL the test is about.
 */
export function writeLedgerLine(line: string): void {
  const buf = Buffer.from(`${line}\n`);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

/**
 * Taps the agent's outbox for a test child's ledger: every alert and event id as "C <id>" once it is
 * committed, as the outbox's contract says (src/outbox/types.ts): when its put returns, or, put inside
 * `durably`, when the outermost `durably` returns (the group is one transaction); and the count of
 * telemetry bodies handed over as "T <n>".
 */
export function reportCommits(outbox: SqliteOutbox, out: (line: string) => void = writeLedgerLine): void {
  const putAlert = outbox.putAlert.bind(outbox);
  const putEvent = outbox.putEvent.bind(outbox);
  const putTelemetry = outbox.putTelemetry.bind(outbox);
  let telemetry = 0;
  let inGroup: string[] = [];
  const grouped = tapGroups(outbox, () => {
    const ids = inGroup;
    inGroup = [];
    for (const id of ids) out(`C ${id}`);
  });
  const committed = (id: string) => {
    if (grouped()) inGroup.push(id);
    else out(`C ${id}`);
  };
  outbox.putAlert = (b) => {
    const env = putAlert(b);
    committed(env.id);
    return env;
  };
  outbox.putEvent = (b) => {
    const env = putEvent(b);
    committed(env.id);
    return env;
  };
  outbox.putTelemetry = (b) => {
    putTelemetry(b);
    telemetry++;
    out(`T ${telemetry}`);
  };
}
