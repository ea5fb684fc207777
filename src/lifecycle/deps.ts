import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { errorMessage } from "../core/errors.js";
import { type HealthCheck, type HealthExpectation, type HealthVerdict, socketHealthCheck } from "./health.js";

const run = promisify(execFile);

/**
 * What the root helper's lifecycle actions need from the machine. Paths are the gateway's absolute
 * ones; every action places them under its context's root (a throwaway directory in tests). The
 * service manager and the health check are injected so tests need neither systemd nor an agent.
 */
export interface LifecycleDeps {
  stateDir: string;
  configPath: string;
  /** /opt/hearth: releases/<version>/ and the `current` link. */
  optDir: string;
  restart: () => Promise<void>;
  stop: () => Promise<void>;
  /** Judges the agent after a restart; `stateDir` as the helper reaches it (under the action's root). */
  health: (stateDir: string) => HealthCheck;
  /** How long a restarted agent has to become healthy before the change is undone. */
  healthTimeoutMs: number;
}

export const DEFAULT_DEPS: LifecycleDeps = {
  stateDir: "/var/lib/hearth",
  configPath: "/etc/hearth/home.yaml",
  optDir: "/opt/hearth",
  restart: async () => {
    await run("systemctl", ["restart", "hearth.service"], { timeout: 120_000 });
  },
  stop: async () => {
    await run("systemctl", ["stop", "hearth.service"], { timeout: 120_000 });
  },
  health: (stateDir) => socketHealthCheck(stateDir),
  healthTimeoutMs: 180_000,
};

/**
 * Restarts the agent and judges it. A restart that fails (systemctl's error) is a verdict too, not
 * an exception: the caller must still undo its change.
 */
export async function restartAndJudge(
  deps: LifecycleDeps,
  stateDir: string,
  expect: Omit<HealthExpectation, "timeoutMs">,
): Promise<HealthVerdict> {
  try {
    await deps.restart();
  } catch (e) {
    return { ok: false, detail: `the restart failed: ${errorMessage(e)}` };
  }
  try {
    return await deps.health(stateDir)({ ...expect, timeoutMs: deps.healthTimeoutMs });
  } catch (e) {
    return { ok: false, detail: `the health check failed: ${errorMessage(e)}` };
  }
}
