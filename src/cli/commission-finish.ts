import { writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfigFile } from "../config/load.js";
import { isoWithOffset } from "../contract/timestamps.js";
import { controlRequest } from "../control/client.js";
import { socketPath } from "../control/socket.js";
import { parseDuration } from "../core/duration.js";
import { errorMessage } from "../core/errors.js";
import { type Check, fail, ok } from "../doctor/check.js";
import { runDoctor } from "../doctor/doctor.js";
import type { DoctorProbes } from "../doctor/probes.js";
import { realProbes } from "../doctor/real-probes.js";
import { deviceChecks } from "../doctor/state-checks.js";
import { loadCatalogue } from "../profiles/catalogue.js";
import { type CommissioningReport, reportDevices, reportText } from "./commission-report.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson, printProblems } from "./io.js";
import { runTestAlert } from "./test-alert.js";

export interface FinishFlags {
  config?: string;
  stateDir?: string;
  by: string;
  /** How long to wait for the press (default 2m). */
  within?: string;
  /** Where the report goes: <report>.json and <report>.txt (default: beside the outbox). */
  report?: string;
  /** How long to wait for the cloud's acknowledgement of the test alert (default 30s). */
  timeout?: string;
}

export interface FinishDeps {
  probes: DoctorProbes;
  /** Said when the installer should press (stderr by default). */
  say: (text: string) => void;
}

type Status = Record<string, unknown> & {
  commissioning?: { last_test_press?: string } | null;
  drivers?: { bthome?: Record<string, { presses?: number; last_rssi?: number }> };
};

/**
 * `hearth commission finish`: doctor, the installer's announced press (arrived, with its signal),
 * each meter and sensor heard, the test alert acknowledged by the cloud; then the commissioning report
 * (text and JSON) written and published to the cloud as an event, which ends the mode. Exit 1 when
 * anything failed: the report still goes out, saying so.
 */
export async function commissionFinish(flags: FinishFlags, deps?: Partial<FinishDeps>): Promise<void> {
  const probes = deps?.probes ?? realProbes();
  const say = deps?.say ?? ((t: string) => process.stderr.write(`${t}\n`));
  const configFile = flags.config ?? "/etc/hearth/home.yaml";
  const cat = loadCatalogue();
  const parsed = loadConfigFile(configFile, cat.profiles);
  if (!parsed.ok) {
    printProblems(`${configFile} is not a valid Hearth config`, parsed.problems);
    throw new CliExit(EXIT.failed);
  }
  const config = parsed.value;
  const stateDir = flags.stateDir ?? config.state_dir;
  const socket = socketPath(stateDir);
  const ask = async (req: { cmd: string; [k: string]: unknown }) => {
    try {
      return (await controlRequest(socket, req)) as Status;
    } catch (e) {
      throw new CliExit(EXIT.failed, `hearth commission finish: ${errorMessage(e)}`);
    }
  };
  const state = await ask({ cmd: "commission_state" });
  if (!state.commissioning)
    throw new CliExit(
      EXIT.failed,
      "hearth commission finish: not commissioning: run `hearth commission start` first",
    );

  say("commission finish: running doctor…");
  const doctor = await runDoctor(
    {
      config: configFile,
      stateDir,
      profiles: cat.profiles,
      catalogueProblems: cat.problems,
      progress: (what) => say(`doctor: ${what}…`),
    },
    probes,
  );
  const checks: Check[] = [...doctor.checks.filter((c) => !c.id.startsWith("device:"))];

  const withinMs = parseDuration(flags.within ?? "2m") ?? 120_000;
  const before = await ask({ cmd: "status" });
  await ask({ cmd: "commission_expect_press", within_ms: withinMs });
  say(`Press the call button now (within ${Math.round(withinMs / 1000)} s): this press goes out as a test.`);
  const deadline = Date.now() + withinMs;
  let pressed: Status | undefined;
  while (Date.now() < deadline) {
    const s = await ask({ cmd: "commission_state" });
    if (s.commissioning?.last_test_press) {
      pressed = s;
      break;
    }
    await sleep(200);
  }
  const after = await ask({ cmd: "status" });
  checks.push(pressCheck(pressed, before, after, withinMs));
  checks.push(...deviceChecks(config, after, probes));

  say("commission finish: sending the test alert, waiting for the cloud's acknowledgement…");
  const timeoutMs = parseDuration(flags.timeout ?? "30s") ?? 30_000;
  const ta = await runTestAlert(socket, timeoutMs);
  checks.push(
    ta.ok
      ? ok("test-alert", `acknowledged by the cloud in ${ta.round_trip_ms} ms`)
      : fail(
          "test-alert",
          `${ta.broken?.hop ?? "?"}: ${ta.broken?.reason ?? "no acknowledgement"}`,
          "see `hearth test-alert` in docs/installer.md",
        ),
  );

  const report: CommissioningReport = {
    ok: checks.every((c) => c.status !== "fail"),
    home: config.home.id,
    gateway: hostname(),
    version: String(after.version ?? "unknown"),
    installer: flags.by,
    timestamp: isoWithOffset(probes.now(), config.home.timezone),
    devices: reportDevices(config, after),
    checks,
    round_trip_ms: ta.round_trip_ms,
  };
  const prefix = flags.report ?? `${stateDir}/commissioning-${report.timestamp.replace(/[:.]/g, "-")}`;
  writeFileSync(`${prefix}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${prefix}.txt`, reportText(report));
  await ask({ cmd: "commission_report", by: flags.by, report });
  say(`commission finish: report written to ${prefix}.txt and .json, and sent to the cloud`);
  printJson(report);
  if (!report.ok) {
    const n = checks.filter((c) => c.status === "fail").length;
    throw new CliExit(EXIT.failed, `hearth commission finish: ${n} check${n === 1 ? "" : "s"} failed`);
  }
}

function pressCheck(pressed: Status | undefined, before: Status, after: Status, withinMs: number): Check {
  if (!pressed)
    return fail(
      "press",
      `no announced press arrived within ${Math.round(withinMs / 1000)} s`,
      "press the button near the gateway; if it still does not arrive, check its battery, MAC and key (hearth scan ble --press)",
    );
  const was = before.drivers?.bthome ?? {};
  const now = after.drivers?.bthome ?? {};
  const device = Object.keys(now).find((id) => (now[id]?.presses ?? 0) > (was[id]?.presses ?? 0));
  const rssi = device !== undefined ? now[device]?.last_rssi : undefined;
  const signal = rssi === undefined ? "signal not reported" : `signal ${rssi} dBm`;
  if (rssi !== undefined && rssi < -90)
    return fail(
      "press",
      `arrived from ${device}, but weak: ${signal}`,
      "move the gateway or the button closer together",
    );
  return ok("press", `arrived from ${device ?? "the button"} as a test alert, ${signal}`);
}
