import { execFile } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import { arch, platform, release } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { ErrorCode, errorMessage, isHearthError } from "../core/errors.js";
import { OUTBOX_FILE } from "../outbox/index.js";
import { inspectOutbox, pendingWhere } from "../outbox/inspect.js";

const run = promisify(execFile);

/** A command's output, or a line saying why there is none: a missing tool is a note, not a failure. */
export async function commandOutput(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (err.code === "ENOENT") return `(${cmd} is not installed here: nothing collected)\n`;
    return `(${cmd} ${args.join(" ")} failed: ${errorMessage(e)})\n${err.stdout ?? ""}${err.stderr ?? ""}`;
  }
}

/** The versions support asks first: the agent's, Node's, the OS's, and which release `current` is. */
export function versions(hearth: string, optDir = "/opt/hearth"): Record<string, unknown> {
  const attempt = (f: () => string) => {
    try {
      return f();
    } catch {
      return null;
    }
  };
  return {
    hearth,
    node: process.version,
    platform: platform(),
    arch: arch(),
    kernel: release(),
    os_release: attempt(() => readFileSync("/etc/os-release", "utf8")),
    current_release: attempt(() => readlinkSync(join(optDir, "current"))),
  };
}

/**
 * The outbox in numbers (depth per lane, oldest pending, size, integrity, counts by type and state),
 * read-only; the pending bodies only when `withBodies` (they are the person's data).
 */
export function outboxStatistics(stateDir: string, withBodies: boolean): { stats: unknown; bodies?: string } {
  const path = join(stateDir, OUTBOX_FILE);
  try {
    const inspection = inspectOutbox(path);
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const pending = pendingWhere(db);
      const byType = db
        .prepare(
          `SELECT m.type, NOT (${pending}) AS delivered, COUNT(*) AS n, SUM(m.bytes) AS bytes FROM messages m
             GROUP BY m.type, 2`,
        )
        .all();
      const alerts = db.prepare("SELECT kind, state, COUNT(*) AS n FROM alerts GROUP BY kind, state").all();
      const meta = db.prepare("SELECT key, value FROM meta").all();
      const stats = { path, ...inspection, by_type: byType, alerts, meta };
      if (!withBodies) return { stats };
      const rows = db
        .prepare(`SELECT m.envelope FROM messages m WHERE ${pending} ORDER BY m.seq LIMIT 10000`)
        .all() as { envelope: string }[];
      return { stats, bodies: rows.map((r) => r.envelope).join("\n") };
    } finally {
      db.close();
    }
  } catch (e) {
    if (isHearthError(e, ErrorCode.OutboxInUse))
      return {
        stats: { path, in_use: "held by the running agent: its depth and storage are in status.json" },
      };
    return { stats: { path, error: errorMessage(e) } };
  }
}
