import {
  chmodSync,
  chownSync,
  copyFileSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { ErrorCode, errorMessage, HearthError } from "../../core/errors.js";
import { type LifecycleDeps, restartAndJudge } from "../../lifecycle/deps.js";
import { readStatus } from "../../lifecycle/health.js";
import { writeOutcome } from "../../lifecycle/outcomes.js";
import { loadCatalogue } from "../../profiles/catalogue.js";
import { checkNext } from "../../remote-config/change.js";
import { configHash } from "../../remote-config/redact.js";
import type { PrivilegedAction } from "../action.js";
import { underRoot } from "../paths.js";

export interface WriteConfigArgs {
  text: string;
  /** The hash of the file this replaces: a file changed since (by anyone) is not overwritten. */
  replaces: string;
  /** The config_set command's id, carried into the outcome event. */
  command_id?: string;
}

/** Writes `text` to `path` atomically with the old file's owner and mode (0640 root:hearth on a gateway). */
function writeLike(path: string, text: string, like: { mode: number; uid: number; gid: number }): void {
  const tmp = `${path}.write-tmp`;
  // Owner and mode set while it is empty: the text is never in a file readable by more than it should be.
  writeFileSync(tmp, "", { mode: 0o600 });
  chownSync(tmp, like.uid, like.gid);
  chmodSync(tmp, like.mode & 0o777);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * config_set's root half: the new config checked again (hash, keys, validity), the old one kept as
 * `<config>.prev`, the new one written atomically, the agent restarted; if it is not healthy in time
 * the old file goes back and the agent is restarted again. The outcome is left as an event.
 */
export function writeConfigAction(deps: LifecycleDeps): PrivilegedAction<WriteConfigArgs> {
  return {
    name: "write-config",
    parse(args) {
      const a = (args ?? {}) as Record<string, unknown>;
      if (typeof a.text !== "string" || a.text.length > 64_000)
        throw new HearthError(
          "write-config: text must be the config (at most 64,000 characters)",
          ErrorCode.CommandInvalid,
        );
      if (typeof a.replaces !== "string" || !/^[0-9a-f]{64}$/.test(a.replaces))
        throw new HearthError("write-config: replaces must be a SHA-256 in hex", ErrorCode.CommandInvalid);
      if (a.command_id !== undefined && (typeof a.command_id !== "string" || a.command_id.length > 64))
        throw new HearthError("write-config: command_id must be text", ErrorCode.CommandInvalid);
      return {
        text: a.text,
        replaces: a.replaces,
        ...(a.command_id !== undefined ? { command_id: a.command_id as string } : {}),
      };
    },
    async run(args, ctx) {
      const path = underRoot(ctx.root, deps.configPath);
      const stateDir = underRoot(ctx.root, deps.stateDir);
      const current = readFileSync(path, "utf8");
      if (configHash(current) !== args.replaces)
        throw new HearthError(
          "the config changed since this change was made: nothing written",
          ErrorCode.CommandRefused,
        );
      checkNext(current, args.text, deps.configPath, loadCatalogue().profiles);
      const before = await readStatus(stateDir);
      const st = statSync(path);
      const like = { mode: st.mode, uid: st.uid, gid: st.gid };
      const prev = `${path}.prev`;
      copyFileSync(path, prev);
      chownSync(prev, like.uid, like.gid);
      writeLike(path, args.text, like);
      const data = { command_id: args.command_id ?? null, from: args.replaces, to: configHash(args.text) };
      const id = `${ctx.now().getTime()}-config`;
      const verdict = await restartAndJudge(deps, stateDir, before ? { before } : {});
      if (verdict.ok) {
        writeOutcome(stateDir, id, { event: "config_applied", data: { ...data, health: verdict.detail } });
        return { message: `config ${data.to.slice(0, 12)} applied; the agent is healthy`, detail: data };
      }
      renameSync(prev, path);
      // The old state is back on disk whatever the restart says; a failed restart is said, not thrown.
      const restarted = await deps.restart().then(
        () => "restarted",
        (e: unknown) => `the restart failed: ${errorMessage(e)}`,
      );
      writeOutcome(stateDir, id, {
        event: "config_rolled_back",
        data: { ...data, reason: verdict.detail, restart: restarted },
      });
      throw new HearthError(`the new config was rolled back: ${verdict.detail}`, ErrorCode.CommandFailed);
    },
  };
}
