import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/core/paths.js";

const root = packageRoot();
const MAIN = join(root, "dist/src/cli/main.js");
const PYTHON = "/usr/bin/python3";
const dir = mkdtempSync(join(tmpdir(), "hearth-notify-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Seen {
  ready: boolean;
  pings_before_stall: number;
  pings_while_settling: number;
  pings_while_stalled: number;
  unhealthy_status: string[];
  pings_after_resume: number;
  stopping: boolean;
  exit_code: number | null;
  agent_stderr_tail: string;
}

describe("hearth run under a fake systemd (Type=notify, WatchdogSec)", () => {
  it.skipIf(!existsSync(PYTHON))(
    "says READY=1, feeds the watchdog while the tick runs, stops feeding it while the tick is stalled, resumes after",
    async () => {
      const stateDir = mkdtempSync(join(dir, "state-"));
      const config = join(dir, "home.yaml");
      // A simulated home: a meter on a port that is not there, a broker nobody answers on.
      writeFileSync(
        config,
        `version: 1
home: { id: h1, timezone: Asia/Shanghai }
state_dir: ${stateDir}
cloud: { brokers: [ { url: "mqtt://127.0.0.1:9" } ] }
devices:
  - { id: meter-1, profile: eastron-sdm120, port: /dev/ttyHEARTHNONE0, unit_id: 1 }
detection: { gateway_power: "off" }
`,
        { mode: 0o600 },
      );
      const stall = join(dir, "stall");
      const { stdout } = await promisify(execFile)(
        PYTHON,
        [
          join(root, "tests/service/fake-systemd.py"),
          "--stall-file",
          stall,
          "--",
          process.execPath,
          MAIN,
        ].concat(["run", "--config", config]),
        // The tick every 300 ms (late after 900 ms), the watchdog at 400 ms (a ping every 200 ms).
        {
          env: { ...process.env, HEARTH_TEST_TICK_MS: "300", HEARTH_TEST_STALL_FILE: stall },
          timeout: 120_000,
        },
      );
      const seen = JSON.parse(stdout) as Seen;
      const why = seen.agent_stderr_tail;
      expect(seen.ready, why).toBe(true);
      expect(seen.pings_before_stall, why).toBeGreaterThanOrEqual(3);
      expect(seen.pings_while_stalled, why).toBe(0);
      expect(seen.unhealthy_status[0], why).toMatch(/^STATUS=unhealthy: the pipeline tick last ran/);
      expect(seen.pings_after_resume, why).toBeGreaterThan(0);
      expect(seen.stopping, why).toBe(true);
      expect(seen.exit_code, why).toBe(0);
    },
    150_000,
  );
});
