import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../../src/core/paths.js";

/** One scenario's figures: what the runner prints and docs/RELIABILITY.md quotes. */
export interface ScenarioRow {
  scenario: string;
  /** The faults, in words ("50 × SIGKILL during bursts"). */
  faults: string;
  faultsInjected: number;
  /** Alerts and events made durable (committed by the agent). */
  alertsEventsMade: number;
  alertsEventsDelivered: number;
  alertsEventsLost: number;
  /** Undelivered alerts/events the outbox still holds at the end (sent at its next start; not lost). */
  stillQueued: number;
  /** The first lost ids, for the failure message. */
  lostIds: string[];
  /** Deliveries beyond the first of the same id (the cloud de-duplicates on id), all lanes. */
  duplicates: number;
  /** Telemetry bodies handed to the outbox. */
  telemetryMade: number;
  /** Telemetry rows committed. */
  telemetryDurable: number;
  telemetryDelivered: number;
  /** Committed telemetry still undelivered in the outbox at the end (the agent's last flush at stop). */
  telemetryStillQueued: number;
  /** Committed, then deleted from the outbox before delivery: the size bound's policy (oldest telemetry first). */
  telemetryDropped: number;
  /** Made but never committed: the uncommitted batch at each kill (the policy's allowance). */
  telemetryShed: number;
  size: "ci" | "full";
  /** The command that reproduces the run. */
  command: string;
  /** Scenario-specific figures. */
  notes?: Record<string, number | string>;
}

/** Where each scenario writes its JSON row; HEARTH_FAULTS_REPORT overrides. */
export function reportDir(): string {
  return process.env.HEARTH_FAULTS_REPORT ?? join(packageRoot(), ".hearth", "faults");
}

export function writeRow(row: ScenarioRow): void {
  const dir = reportDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${row.scenario}.json`), `${JSON.stringify(row, null, 2)}\n`);
  console.info(formatTable([row]));
}

export function readRows(dir = reportDir()): ScenarioRow[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json") && n !== "report.json");
  } catch {
    return [];
  }
  return names.sort().map((n) => JSON.parse(readFileSync(join(dir, n), "utf8")) as ScenarioRow);
}

const COLUMNS: [string, (r: ScenarioRow) => string][] = [
  ["scenario", (r) => r.scenario],
  ["size", (r) => r.size],
  ["faults", (r) => String(r.faultsInjected)],
  ["alerts+events made", (r) => String(r.alertsEventsMade)],
  ["delivered", (r) => String(r.alertsEventsDelivered)],
  ["lost", (r) => String(r.alertsEventsLost)],
  ["duplicates", (r) => String(r.duplicates)],
  ["still queued", (r) => String(r.stillQueued)],
  ["telemetry made", (r) => String(r.telemetryMade)],
  ["committed", (r) => String(r.telemetryDurable)],
  ["delivered ", (r) => String(r.telemetryDelivered)],
  ["queued ", (r) => String(r.telemetryStillQueued)],
  ["dropped by the size bound", (r) => String(r.telemetryDropped)],
  ["shed", (r) => String(r.telemetryShed)],
];

/** A Markdown table, so the printed figures paste straight into the docs. */
export function formatTable(rows: readonly ScenarioRow[]): string {
  const lines = [
    `| ${COLUMNS.map(([h]) => h.trim()).join(" | ")} |`,
    `| ${COLUMNS.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${COLUMNS.map(([, f]) => f(r)).join(" | ")} |`),
  ];
  const detail = rows.map((r) => `- ${r.scenario}: ${r.faults}; reproduce: \`${r.command}\``);
  return [...lines, "", ...detail].join("\n");
}
