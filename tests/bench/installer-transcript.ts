/**
 * Writes docs/installer.md: the installer's visit step by step, with the real output of each command,
 * captured here from the demo's pieces (embedded broker, the real receiver, the simulated meter and
 * button under the real agent) and the built `hearth` command. Run: `npm run installer-doc`.
 * Temporary paths are rewritten to the ones a gateway has (/etc/hearth, /var/lib/hearth); nothing
 * else is edited.
 */
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "../../src/agent/agent.js";
import { commissionFinish } from "../../src/cli/commission-finish.js";
import { loadConfigFile } from "../../src/config/load.js";
import { SystemClock } from "../../src/core/clock.js";
import { randomIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { formatChecks } from "../../src/doctor/check.js";
import { runDoctor } from "../../src/doctor/doctor.js";
import type { DoctorProbes } from "../../src/doctor/probes.js";
import { realProbes } from "../../src/doctor/real-probes.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { startAedes } from "../helpers/brokers.js";
import { HEARTH_MAIN, startProgram } from "../helpers/cli.js";
import { BUTTON_KEY, BUTTON_MAC, simDevices } from "../helpers/sim-home.js";
import { waitFor } from "../helpers/wait.js";
import { receiverOptions, sqliteStoreFactory, startReceiver } from "../receiver/rig.js";

const dir = mkdtempSync(join(tmpdir(), "hearth-transcript-"));
const etc = join(dir, "etc");
const config = join(etc, "home.yaml");
const stateDir = join(dir, "state");
const clean = (t: string) =>
  t.replaceAll(etc, "/etc/hearth").replaceAll(stateDir, "/var/lib/hearth").replaceAll(dir, "/home/ana");

/** Runs `hearth …` without blocking: the broker and the agent answer from this same process. */
async function run(
  args: string[],
  opts: { tty?: boolean } = {},
): Promise<{ shown: string; code: number | null }> {
  const [cmd, argv] = opts.tty
    ? ["script", ["-qfec", [process.execPath, HEARTH_MAIN, ...args].join(" "), "/dev/null"]]
    : [process.execPath, [HEARTH_MAIN, ...args]];
  const r = await startProgram(cmd as string, argv as string[]).done;
  // A terminal's line ends are CR LF; the page shows lines.
  const shown = `$ hearth ${args.join(" ")}\n${r.stdout}${r.stderr}(exit ${r.code})`.replaceAll("\r\n", "\n");
  return { shown: clean(shown), code: r.code };
}

const block = (t: string) => `\n\`\`\`text\n${t.trimEnd()}\n\`\`\`\n`;

const broker = await startAedes();
const sqlite = sqliteStoreFactory();
let receiver = await startReceiver(
  receiverOptions(broker.url, { single: true, mqttVersion: 4, ackBy: "care-centre" }),
  sqlite.make(),
);
const out: Record<string, string> = {};
writeFileSync(
  join(dir, "meter.yaml"),
  "devices:\n  - id: meter-1\n    profile: eastron-sdm120\n    port: /dev/ttySIM0\n    unit_id: 1\n    baud: 9600\n    poll: 1s\n",
);
writeFileSync(
  join(dir, "button.yaml"),
  `devices:\n  - id: button-1\n    profile: shelly-blu-button1\n    mac: "${BUTTON_MAC}"\n    key: ${BUTTON_KEY}\n`,
);
const pub = join(import.meta.dirname, "../fixtures/keys/test-cloud.pub.pem");
writeFileSync(join(dir, "cloud.pub"), readFileSync(pub));
const common = ["--config", config, "--user", "daemon", "--group", "users"];
out.provision = (
  await run([
    "provision",
    ...common,
    "--home",
    "home-0042",
    "--timezone",
    "Europe/Berlin",
    "--broker",
    broker.url,
    "--mqtt-version",
    "3.1.1",
    "--cloud-key",
    join(dir, "cloud.pub"),
    "--snippet",
    join(dir, "meter.yaml"),
    "--state-dir",
    stateDir,
  ])
).shown;
out.rerun = (await run(["provision", ...common, "--snippet", join(dir, "button.yaml")])).shown;
out.rerunYes = (await run(["provision", ...common, "--snippet", join(dir, "button.yaml"), "--yes"])).shown;

const cat = loadCatalogue();
const loaded = loadConfigFile(config, cat.profiles);
if (!loaded.ok)
  throw new Error(`the provisioned config is invalid:\n${out.provision}\n${out.rerun}\n${out.rerunYes}`);
const sim = simDevices(cat.profiles);
const clock = new SystemClock();
const agent = new Agent({
  config: loaded.value,
  profiles: cat.profiles,
  host: {
    clock,
    netClock: clock,
    ids: randomIds,
    log: silentLogger(),
    version: "0.1.0",
    powerSupplyDir: null,
    ...sim.host,
  },
});
await agent.start();
try {
  await waitFor(
    "a meter reading",
    () => Object.keys(agent.pipeline.devices()["meter-1"]?.last ?? {}).length > 0,
  );
  // Doctor as the command runs it on this development machine: no hearth user, no systemd, the
  // simulated port is not a device here. Real failures, with their fixes.
  out.doctorWrong = (await run(["doctor", "--config", config])).shown;
  // Doctor on a gateway as it should be: the same checks, with the machine's user, systemd, clock
  // and serial device given as a provisioned gateway has them (as in tests/agent/installer-visit.test.ts).
  const port = join(dir, "ttySIM0");
  writeFileSync(port, "");
  chownSync(port, 0, 20);
  chmodSync(port, 0o660);
  const real = realProbes();
  const probes: DoctorProbes = {
    ...real,
    stat: (p) => real.stat(p === "/dev/ttySIM0" ? port : p),
    user: (name) => (name === "hearth" ? { name, uid: 1, gids: [1, 100, 20] } : undefined),
    systemd: () => ({ available: true, active: "active", enabled: "enabled" }),
    clock: () => ({ source: "timedatectl", synced: true, detail: "NTPSynchronized=yes, NTP=yes" }),
    ble: () => ({ present: true, powered: true }),
  };
  const before = await runDoctor({ config, profiles: cat.profiles, catalogueProblems: cat.problems }, probes);
  out.doctorBeforePress = clean(`$ hearth doctor\n${formatChecks(before.checks)}(exit ${before.ok ? 0 : 1})`);
  out.start = (await run(["commission", "start", "--state-dir", stateDir, "--by", "Ana"])).shown;
  out.expect = (await run(["commission", "expect-press", "--state-dir", stateDir])).shown;
  sim.devices.button().press("press");
  await waitFor("the test press", () => receiver.lines.some((l) => l.kind === "test"));
  const testLine = receiver.lines.find((l) => l.decision === "alert_stored" && l.kind === "test");
  sim.devices.button().press("press");
  await waitFor("the real call", () => receiver.lines.some((l) => l.kind === "call"));
  const callLine = receiver.lines.find((l) => l.decision === "alert_stored" && l.kind === "call");
  out.receiverPresses = [testLine, callLine].map((l) => JSON.stringify(l)).join("\n");
  await waitFor("the call acknowledged", () => agent.pipeline.alerts.open().every((a) => a.kind !== "call"));
  out.status = (await run(["status", "--state-dir", stateDir, "--once"], { tty: true })).shown;
  const after = await runDoctor({ config, profiles: cat.profiles, catalogueProblems: cat.problems }, probes);
  out.doctorRight = clean(`$ hearth doctor\n${formatChecks(after.checks)}(exit ${after.ok ? 0 : 1})`);
  const said: string[] = [];
  const prefix = join(stateDir, "commissioning-report");
  await commissionFinish(
    { config, by: "Ana", report: prefix, within: "20s", timeout: "20s" },
    {
      probes,
      say: (t) => {
        said.push(t);
        if (t.startsWith("Press the call button")) setTimeout(() => sim.devices.button().press("press"), 300);
      },
    },
  );
  out.finish = clean(
    `$ hearth commission finish --by Ana\n${said.join("\n")}\n(run in the capture's process: its messages on stderr, as above; on stdout the report's JSON; it returned, exit 0)`,
  );
  out.reportText = clean(readFileSync(`${prefix}.txt`, "utf8"));
  await waitFor("the report at the receiver", () =>
    receiver.lines.some((l) => l.event === "commissioning_report"),
  );
  const rep = receiver.lines.find((l) => l.event === "commissioning_report") ?? {};
  out.receiverReport = clean(JSON.stringify({ ...rep, data: "{ … the report's JSON … }" }));
  // When the cloud does not answer: the receiver stopped.
  await receiver.stop();
  out.testAlertWrong = (await run(["test-alert", "--state-dir", stateDir, "--timeout", "3s"])).shown;
  receiver = await startReceiver(
    receiverOptions(broker.url, { single: true, mqttVersion: 4 }),
    sqlite.make(),
  );
} finally {
  await agent.stop();
  await receiver.stop();
  await broker.close();
  sqlite.cleanup();
}

const doc = readFileSync(join(import.meta.dirname, "installer.template.md"), "utf8").replace(
  /\{\{(\w+)\}\}/g,
  (_, k: string) => (out[k] !== undefined ? block(out[k] as string) : `{{${k}: not captured}}`),
);
writeFileSync(join(import.meta.dirname, "../../docs/installer.md"), doc);
rmSync(dir, { recursive: true, force: true });
process.stderr.write("wrote docs/installer.md\n");
process.exit(0);
