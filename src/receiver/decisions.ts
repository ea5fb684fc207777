import type { Envelope, EventBody } from "../contract/messages.js";
import type { ReceiverStore } from "./store/types.js";
/**
 * The receiver's decisions, one JSON line each on stdout (logs go to stderr). docs/receiver.md says
 * what each means. Every line has `decision`, `at` (ISO wall time) and `instance`.
 */
export type Decision =
  | {
      decision: "alert_stored";
      home: string;
      alert: string;
      kind: string;
      state: string;
      id: string;
      known_kind: boolean;
      origin: "gateway" | "receiver";
    }
  | { decision: "duplicate"; home: string; id: string; type: string }
  | {
      decision: "acknowledged";
      home: string;
      alert: string;
      kind: string;
      by: string;
      via: "auto" | "webhook" | "manual";
      command_id?: string;
    }
  | {
      decision: "gateway_online";
      home: string;
      session: number;
      previous_session?: number;
      previous?: string;
      restarted?: boolean;
    }
  | {
      decision: "gateway_offline";
      home: string;
      session: number;
      by: "will" | "stopped" | "silent";
      reason?: string;
    }
  | {
      decision: "gap_asked";
      home: string;
      lane: string;
      from_lane_seq: number;
      to_lane_seq: number;
      from_seq: number;
      to_seq: number;
      command_id: string;
    }
  | { decision: "gap_filled"; home: string; lane: string; from_lane_seq: number; to_lane_seq: number }
  | { decision: "gap_lost"; home: string; lane: string; from_lane_seq: number; to_lane_seq: number }
  | { decision: "webhook_delivered"; key: string; alert: string; attempts: number; status: number }
  | {
      decision: "webhook_failed";
      key: string;
      alert: string;
      attempts: number;
      error: string;
      retry_in_ms: number;
    }
  | {
      decision: "watch_sent";
      home: string;
      level: string;
      until?: string;
      command_id: string;
      reason: "set" | "online";
    }
  | {
      decision: "commissioning";
      home: string;
      event: string;
      data: Record<string, unknown>;
    };

/**
 * An installer's visit, as the gateway reports it (docs/contract.md, commissioning events): the mode's
 * start and end and the commissioning report, each a decision line the care service keeps.
 */
export function commissioningDecision(home: string, body: EventBody): Decision | undefined {
  if (!body.event.startsWith("commissioning_")) return undefined;
  return { decision: "commissioning", home, event: body.event, data: body.data };
}

/**
 * A commissioning event: its decision line, and a commissioning report kept in the store as well
 * (idempotent: the same message again keeps one row), so the care service has it in the home's file.
 */
export async function onCommissioning(
  env: Envelope<"event">,
  store: Pick<ReceiverStore, "putCommissioningReport">,
  receivedAt: number,
): Promise<Decision | undefined> {
  const d = commissioningDecision(env.home, env.body);
  if (d && env.body.event === "commissioning_report")
    await store.putCommissioningReport({
      home: env.home,
      seq: env.seq,
      messageId: env.id,
      report: env.body.data ?? {},
      receivedAt,
    });
  return d;
}

export type DecisionName = Decision["decision"];

/** Where decisions go: stdout in `hearth receiver`, an array in tests. */
export type DecisionSink = (line: Record<string, unknown>) => void;

export function stdoutDecisions(): DecisionSink {
  return (line) => {
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };
}
