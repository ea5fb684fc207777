import type { Lane } from "../../contract/stored.js";

/**
 * The receiver's store: one for the whole group of receivers (SQLite on one machine, PostgreSQL for
 * several). Every method that decides something ("was this id seen?", "did the gateway go offline?")
 * is one conditional statement, so two instances racing on the same fact get one winner: the method
 * returns whether this caller won, and only the winner writes the decision line.
 * Times are Unix epoch milliseconds (the receiver's wall clock: instances on several machines share
 * no monotonic clock).
 */
export interface ReceiverStore {
  /** Brings the schema up to date; returns the schema version. */
  migrate(): Promise<number>;
  close(): Promise<void>;

  /** Records a message id; false when it was seen before (a duplicate, on this instance or another). */
  markSeen(m: SeenMessage): Promise<boolean>;
  countSeen(): Promise<number>;
  /**
   * Forgets up to `limit` message ids received before `before` (the oldest first); returns how many.
   * Idempotent: instances pruning at once delete each row once between them.
   */
  pruneSeen(before: number, limit: number): Promise<number>;

  /**
   * Applies an alert state. Returns true when the stored state changed (a new alert, or a later state);
   * a republished or out-of-order older state returns false.
   */
  applyAlert(a: AlertRow): Promise<boolean>;
  getAlert(alert: string): Promise<AlertRow | undefined>;
  /** Alerts not cleared or acknowledged, newest first. */
  openAlerts(limit?: number): Promise<AlertRow[]>;
  /** Records that an ack was sent for the alert (by whom, with a note); false when one already was. */
  markAckSent(alert: string, by: string, note: string | undefined, at: number): Promise<boolean>;
  /**
   * For an alert still open at its gateway after its ack was sent before `sentBefore` (the command has
   * expired): records a new send at `at`; true when this call did it.
   */
  markAckResent(alert: string, sentBefore: number, at: number): Promise<boolean>;

  getGateway(home: string): Promise<GatewayRow | undefined>;
  listGateways(): Promise<GatewayRow[]>;
  /**
   * Applies a status (ordered by session, docs/contract.md): returns what it changed, or undefined when
   * the status is older than what the store holds.
   */
  applyStatus(s: StatusUpdate): Promise<StatusChange | undefined>;
  /**
   * Marks `home` offline (by silence) if it is still online with its last heartbeat before
   * `silentSince`; true when this call did it.
   */
  markSilent(home: string, silentSince: number, at: number): Promise<boolean>;
  /** Online gateways whose last heartbeat is older than `before`. */
  silentGateways(before: number): Promise<GatewayRow[]>;
  setDesiredWatch(home: string, level: string, until: string | undefined): Promise<void>;

  /** Records a lane_seq seen; returns the lane's state after it. */
  recordLane(home: string, lane: Lane, laneSeq: number, seq: number): Promise<void>;
  /**
   * Missing lane_seq ranges of a lane between the lowest seen and `upTo` (the heartbeat's figure, or
   * the highest seen), each with the seq bounds to ask for; advances the lane's contiguous mark.
   */
  missingRanges(home: string, lane: Lane, upTo: number, latestSeq: number): Promise<MissingRange[]>;
  /** Whether every lane_seq of the range has now been seen. */
  rangeComplete(home: string, lane: Lane, from: number, to: number): Promise<boolean>;
  /** Records a gap; false when it is already recorded. */
  openGap(g: GapRow): Promise<boolean>;
  gaps(home: string, states: readonly GapState[]): Promise<GapRow[]>;
  /** Moves a gap from one state to another; true when this call moved it. */
  moveGap(
    g: Pick<GapRow, "home" | "lane" | "fromLaneSeq">,
    from: GapState,
    to: GapState,
    at: number,
  ): Promise<boolean>;

  /** Queues a webhook delivery keyed by the message id; false when it is already queued. */
  enqueueWebhook(d: Pick<WebhookRow, "key" | "alert" | "body" | "nextAt" | "ackAfter">): Promise<boolean>;
  dueWebhooks(now: number, limit: number): Promise<WebhookRow[]>;
  /** Takes a due delivery for this instance until `leaseUntil`; false when another took it first. */
  claimWebhook(key: string, expectedNextAt: number, leaseUntil: number): Promise<boolean>;
  webhookDelivered(key: string, at: number): Promise<void>;
  webhookFailed(key: string, attempts: number, nextAt: number, error: string): Promise<void>;
  getWebhook(key: string): Promise<WebhookRow | undefined>;

  /** Keeps a home's daily visit record; false when the store holds that day from a later seq already. */
  putSummary(s: SummaryRow): Promise<boolean>;
  /** A home's daily visit records with `from <= date <= to` (local dates, YYYY-MM-DD), oldest first. */
  summaries(home: string, from: string, to: string): Promise<SummaryRow[]>;
  /** A home's alerts, any state, newest first: its alert history. */
  homeAlerts(home: string, limit?: number): Promise<AlertRow[]>;
  /** Keeps a commissioning report; false when it was kept already (the same message again). */
  putCommissioningReport(r: CommissioningReportRow): Promise<boolean>;
  /** A home's commissioning reports, newest first. */
  commissioningReports(home: string, limit?: number): Promise<CommissioningReportRow[]>;
}

/** An installer's commissioning report (`commissioning_report` event) as kept: its data as sent. */
export interface CommissioningReportRow {
  home: string;
  seq: number;
  messageId: string;
  report: Record<string, unknown>;
  receivedAt: number;
}

/** A daily visit record (`summary` message) as kept: the body as the gateway sent it. */
export interface SummaryRow {
  home: string;
  /** The home's local date, YYYY-MM-DD. */
  date: string;
  seq: number;
  messageId: string;
  body: Record<string, unknown>;
  receivedAt: number;
}

export interface SeenMessage {
  id: string;
  home: string;
  type: string;
  seq: number;
  laneSeq: number | undefined;
  receivedAt: number;
}

/** Where an alert row comes from: a gateway's message, or the receiver itself (a gateway gone offline). */
export type AlertOrigin = "gateway" | "receiver";

export interface AlertRow {
  alert: string;
  home: string;
  kind: string;
  state: string;
  device: string | undefined;
  since: string | undefined;
  evidence: Record<string, unknown>;
  origin: AlertOrigin;
  /** The id of the message that brought this state. */
  messageId: string;
  updatedAt: number;
  ackBy?: string | undefined;
  ackNote?: string | undefined;
  ackSentAt?: number | undefined;
}

export interface GatewayRow {
  home: string;
  state: "online" | "offline";
  session: number;
  reason: string | undefined;
  /** How it went offline: `will` (last will), `stopped` (clean stop), `silent` (heartbeat allowance). */
  offlineBy: "will" | "stopped" | "silent" | undefined;
  version: string | undefined;
  lastHeartbeatAt: number | undefined;
  lastStatusAt: number;
  replayDrained: boolean;
  watch: string | undefined;
  desiredWatch: string | undefined;
  desiredWatchUntil: string | undefined;
  /** The latest seq the gateway said it had assigned. */
  lastSeq: number;
  health: Record<string, unknown> | undefined;
}

export interface StatusUpdate {
  home: string;
  state: "online" | "offline";
  session: number;
  reason: string | undefined;
  version: string;
  seq: number;
  watch: string | undefined;
  replayDrained: boolean;
  health: Record<string, unknown> | undefined;
  at: number;
}

export interface StatusChange {
  before: GatewayRow | undefined;
  after: GatewayRow;
  /** The gateway went from not online (unknown, offline) to online, or the reverse. */
  transition: "online" | "offline" | undefined;
}

export interface MissingRange {
  fromLaneSeq: number;
  toLaneSeq: number;
  /** The seq range to ask a resend for (the neighbours' seqs, exclusive, as an inclusive range). */
  fromSeq: number;
  toSeq: number;
}

export type GapState = "asked" | "filled" | "lost";

export interface GapRow extends MissingRange {
  home: string;
  lane: Lane;
  state: GapState;
  askedAt: number;
  session: number;
}

export interface WebhookRow {
  /** The message id: the idempotency key. */
  key: string;
  alert: string;
  body: string;
  state: "pending" | "delivered";
  attempts: number;
  nextAt: number;
  lastError: string | undefined;
  /** Send the ack once delivered (`--ack webhook`). */
  ackAfter: boolean;
}
