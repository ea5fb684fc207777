import { createConnection } from "node:net";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import { SECOND_MS } from "../core/time.js";
import type { ControlReply, ControlRequest } from "./socket.js";

/**
 * Sends one request to a running agent and returns its answer. Fails with ControlUnavailable when no
 * agent answers on `path`, Timeout when it does not answer in time, and the agent's own code when it
 * refuses the request.
 */
export function controlRequest(
  path: string,
  request: ControlRequest,
  timeoutMs = 5 * SECOND_MS,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let buf = "";
    const timer = setTimeout(() => {
      c.destroy();
      reject(
        new HearthError(`no answer from the agent on ${path} within ${timeoutMs} ms`, ErrorCode.Timeout, {
          path,
        }),
      );
    }, timeoutMs);
    c.setEncoding("utf8");
    c.once("connect", () => c.write(`${JSON.stringify(request)}\n`));
    c.on("data", (d: string) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      c.destroy();
      let reply: ControlReply;
      try {
        reply = JSON.parse(buf.slice(0, nl)) as ControlReply;
      } catch (e) {
        reject(new HearthError(errorMessage(e), ErrorCode.ControlUnavailable, { path }, { cause: e }));
        return;
      }
      if (reply.ok) resolve(reply.data);
      else
        reject(
          new HearthError(reply.error ?? "the agent refused the request", refusal(reply.code), {
            path,
            cmd: request.cmd,
          }),
        );
    });
    c.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new HearthError(
          e.code === "ENOENT" || e.code === "ECONNREFUSED"
            ? `no agent is running with its control socket at ${path}`
            : `cannot reach the agent at ${path}: ${e.message}`,
          ErrorCode.ControlUnavailable,
          { path, errno: e.code },
          { cause: e },
        ),
      );
    });
  });
}

/** The code the agent gave its refusal, if it is one of ours; CommandFailed otherwise. */
function refusal(code: number | undefined): ErrorCode {
  const known = Object.values(ErrorCode) as number[];
  return code !== undefined && known.includes(code) ? (code as ErrorCode) : ErrorCode.CommandFailed;
}
