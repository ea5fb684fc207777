import type { Lane } from "../../contract/stored.js";
import type { SqlValue } from "./sql.js";
import type { AlertRow, GapRow, GapState, GatewayRow, StatusUpdate, WebhookRow } from "./types.js";

/** Rows as the SQL returns them, and their mapping to the store's types. */
/** Order of alert states: a state is applied only over a lower rank (raised < escalated < closed). */
export function stateRank(state: string): number {
  if (state === "raised") return 0;
  if (state === "escalated") return 1;
  return 2;
}

export const opt = (v: string | number | undefined): SqlValue => (v === undefined ? null : v);
const orUndef = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
const json = (v: string | null): Record<string, unknown> | undefined =>
  v === null ? undefined : (JSON.parse(v) as Record<string, unknown>);

export interface AlertSql {
  alert: string;
  home: string;
  kind: string;
  state: string;
  device: string | null;
  since: string | null;
  evidence: string;
  origin: "gateway" | "receiver";
  message_id: string;
  updated_at: number;
  ack_by: string | null;
  ack_note: string | null;
  ack_sent_at: number | null;
}

export const alertOf = (r: AlertSql): AlertRow => ({
  alert: r.alert,
  home: r.home,
  kind: r.kind,
  state: r.state,
  device: orUndef(r.device),
  since: orUndef(r.since),
  evidence: json(r.evidence) ?? {},
  origin: r.origin,
  messageId: r.message_id,
  updatedAt: r.updated_at,
  ackBy: orUndef(r.ack_by),
  ackNote: orUndef(r.ack_note),
  ackSentAt: orUndef(r.ack_sent_at),
});

export interface GatewaySql {
  home: string;
  state: "online" | "offline";
  session: number;
  reason: string | null;
  offline_by: GatewayRow["offlineBy"] | null;
  version: string | null;
  last_heartbeat_at: number | null;
  last_status_at: number;
  replay_drained: number;
  watch: string | null;
  desired_watch: string | null;
  desired_watch_until: string | null;
  last_seq: number;
  health: string | null;
}

export const gatewayOf = (r: GatewaySql): GatewayRow => ({
  home: r.home,
  state: r.state,
  session: r.session,
  reason: orUndef(r.reason),
  offlineBy: orUndef(r.offline_by),
  version: orUndef(r.version),
  lastHeartbeatAt: orUndef(r.last_heartbeat_at),
  lastStatusAt: r.last_status_at,
  replayDrained: r.replay_drained === 1,
  watch: orUndef(r.watch),
  desiredWatch: orUndef(r.desired_watch),
  desiredWatchUntil: orUndef(r.desired_watch_until),
  lastSeq: r.last_seq,
  health: json(r.health),
});

export interface GapSql {
  home: string;
  lane: Lane;
  from_lane_seq: number;
  to_lane_seq: number;
  from_seq: number;
  to_seq: number;
  state: GapState;
  asked_at: number;
  session: number;
}

export const gapOf = (r: GapSql): GapRow => ({
  home: r.home,
  lane: r.lane,
  fromLaneSeq: r.from_lane_seq,
  toLaneSeq: r.to_lane_seq,
  fromSeq: r.from_seq,
  toSeq: r.to_seq,
  state: r.state,
  askedAt: r.asked_at,
  session: r.session,
});

export interface WebhookSql {
  key: string;
  alert: string;
  body: string;
  state: "pending" | "delivered";
  attempts: number;
  next_at: number;
  last_error: string | null;
  ack_after: number;
}

export const webhookOf = (r: WebhookSql): WebhookRow => ({
  key: r.key,
  alert: r.alert,
  body: r.body,
  state: r.state,
  attempts: r.attempts,
  nextAt: r.next_at,
  lastError: orUndef(r.last_error),
  ackAfter: r.ack_after === 1,
});

/** Whether a status from the gateway replaces what the store holds (docs/contract.md, `session`). */
export function accepts(before: GatewayRow | undefined, s: StatusUpdate): boolean {
  if (!before || s.session > before.session) return true;
  if (s.session < before.session) return false;
  if (s.state === "offline") return before.state === "online";
  // Same session, online: a heartbeat, or the gateway heard again after the receiver called it silent.
  return before.state === "online" || before.offlineBy === "silent";
}
