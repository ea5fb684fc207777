import { join } from "node:path";

/**
 * The running agent's local control socket: a Unix socket in the state directory, no network port.
 * One JSON request per line (`{"cmd":"status"}`), one JSON reply per line: `{"ok":true,"data":…}` or
 * `{"ok":false,"error":"…","code":…}` (code: the HearthError code, when the failure has one).
 * The server (server.ts) bounds what one client can hold: a request line of at most 64 Ki characters,
 * 16 connections at once, and a connection closed after 30 s without a request or a reply.
 */
export const SOCKET_NAME = "hearth.sock";

/** The control socket of the agent whose state lives in `stateDir`. */
export function socketPath(stateDir: string): string {
  return join(stateDir, SOCKET_NAME);
}

export interface ControlRequest {
  cmd: string;
  [k: string]: unknown;
}

export type ControlReply = { ok: true; data?: unknown } | { ok: false; error: string; code?: number };
