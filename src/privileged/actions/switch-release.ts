import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, errorMessage, HearthError } from "../../core/errors.js";
import { type LifecycleDeps, restartAndJudge } from "../../lifecycle/deps.js";
import { readStatus } from "../../lifecycle/health.js";
import { writeOutcome } from "../../lifecycle/outcomes.js";
import { currentTarget, releaseKeyText, switchCurrent, unpackRelease } from "../../update/release.js";
import { releaseKey, sha256Hex, verifyRelease } from "../../update/signature.js";
import type { PrivilegedAction } from "../action.js";
import { underRoot } from "../paths.js";

export interface SwitchReleaseArgs {
  /** The tarball's name in `<state>/updates/` (where the agent put it): a name, never a path. */
  file: string;
  /** The detached signature (base64), checked here again: the request's writer is not trusted. */
  signature: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.tar\.gz$/;

/**
 * Installs a signed release: signature checked against the config's release key before anything
 * changes; unpacked to releases/<version>; `current` switched; the agent restarted and given
 * `healthTimeoutMs` to be healthy; otherwise `current` goes back and the agent is restarted again.
 * Either way an `update_applied` / `update_failed` event is left for the agent to send.
 */
export function switchReleaseAction(deps: LifecycleDeps): PrivilegedAction<SwitchReleaseArgs> {
  return {
    name: "switch-release",
    parse(args) {
      const a = (args ?? {}) as Record<string, unknown>;
      if (typeof a.file !== "string" || !NAME.test(a.file))
        throw new HearthError(
          "switch-release: file must be a .tar.gz name in the updates directory",
          ErrorCode.CommandInvalid,
        );
      if (typeof a.signature !== "string" || a.signature.length > 200)
        throw new HearthError("switch-release: signature missing", ErrorCode.CommandInvalid);
      return { file: a.file, signature: a.signature };
    },
    async run(args, ctx) {
      const stateDir = underRoot(ctx.root, deps.stateDir);
      const optDir = underRoot(ctx.root, deps.optDir);
      const tarball = join(stateDir, "updates", args.file);
      const bytes = readFileSync(tarball);
      verifyRelease(
        bytes,
        args.signature,
        releaseKey(releaseKeyText(readFileSync(underRoot(ctx.root, deps.configPath), "utf8"))),
      );
      const before = await readStatus(stateDir);
      const previous = currentTarget(optDir);
      const { version, dir } = await unpackRelease(tarball, optDir);
      const from = previous?.split("/").pop() ?? null;
      const id = `${ctx.now().getTime()}-update`;
      const data = { from, to: version, sha256: sha256Hex(bytes) };
      switchCurrent(optDir, dir);
      ctx.log.info({ from, to: version }, "switch-release: current switched, restarting the agent");
      const verdict = await restartAndJudge(deps, stateDir, { version, ...(before ? { before } : {}) });
      rmSync(tarball, { force: true });
      if (verdict.ok) {
        writeOutcome(stateDir, id, { event: "update_applied", data: { ...data, health: verdict.detail } });
        return { message: `release ${version} runs and is healthy (was ${from ?? "none"})`, detail: data };
      }
      if (previous === undefined) {
        writeOutcome(stateDir, id, {
          event: "update_failed",
          data: { ...data, reason: verdict.detail, rolled_back: false },
        });
        throw new HearthError(
          `release ${version} is not healthy (${verdict.detail}) and there is no earlier release to go back to`,
          ErrorCode.CommandFailed,
        );
      }
      switchCurrent(optDir, previous);
      // The old state is back on disk whatever the restart says; a failed restart is said, not thrown.
      const restarted = await deps.restart().then(
        () => "restarted",
        (e: unknown) => `the restart failed: ${errorMessage(e)}`,
      );
      writeOutcome(stateDir, id, {
        event: "update_failed",
        data: { ...data, reason: verdict.detail, rolled_back: true, restart: restarted },
      });
      throw new HearthError(
        `release ${version} was not healthy (${verdict.detail}): rolled back to ${from}`,
        ErrorCode.CommandFailed,
      );
    },
  };
}
