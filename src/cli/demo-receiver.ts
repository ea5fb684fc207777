import type { KeyObject } from "node:crypto";
import { join } from "node:path";
import { SystemClock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import { parseReceiverConfig, receiverOptions } from "../receiver/config.js";
import type { Decision } from "../receiver/decisions.js";
import { Receiver } from "../receiver/receiver.js";
import { openStore } from "../receiver/store/open.js";
import type { DemoReceiver, DemoReceiverStart } from "../sim/demo.js";

/** The few decisions worth a line in the demo's terminal; the console cloud prints the messages. */
function describeDecision(d: Decision): string | undefined {
  switch (d.decision) {
    case "acknowledged":
      return `receiver: acknowledging ${d.kind} ${d.alert} (by ${d.by}, signed ack ${d.command_id ?? "-"})`;
    case "gateway_offline":
      return `receiver: gateway ${d.home} offline (${d.by})`;
    case "gap_asked":
      return `receiver: asking ${d.home} to resend ${d.lane} lane_seq ${d.from_lane_seq}-${d.to_lane_seq}`;
    case "gap_lost":
      return `receiver: ${d.home} ${d.lane} lane_seq ${d.from_lane_seq}-${d.to_lane_seq} lost`;
    default:
      return undefined;
  }
}

/**
 * The real receiver (`hearth receiver`) in the demo's process, on the demo's broker: one instance with
 * plain MQTT 3.1.1 subscriptions (aedes has neither MQTT 5 nor shared subscriptions), a SQLite store in
 * the demo's state directory, its HTTP API on a free loopback port, and the demo's signing key.
 */
export const startDemoReceiver: DemoReceiverStart = async (o: {
  brokerUrl: string;
  stateDir: string;
  key: KeyObject;
  log: Logger;
  write: (line: string) => void;
}): Promise<DemoReceiver> => {
  const config = parseReceiverConfig(undefined, "(demo)", {
    brokers: [o.brokerUrl],
    db: `sqlite:${join(o.stateDir, "receiver.db")}`,
    single: true,
    mqtt_version: "3.1.1",
    ack: "auto",
    ack_by: "care-centre",
    http: "127.0.0.1:0",
  });
  const store = await openStore(config.db);
  const clock = new SystemClock({ onTimerError: (e) => o.log.error({ err: e }, "Timer failed") });
  const receiver = new Receiver(
    { ...receiverOptions(config), key: o.key },
    {
      store,
      clock,
      log: o.log.child({ module: "receiver" }),
      decisions: (d) => {
        // The sink's lines are the receiver's Decisions with `at` and `instance` added (Receiver#decide).
        const line = describeDecision(d as Decision);
        if (line !== undefined) o.write(line);
      },
    },
  );
  try {
    await receiver.start();
  } catch (e) {
    await receiver.stop();
    await store.close();
    throw e;
  }
  const http = receiver.httpAddress;
  return {
    url: http ? `http://${http.host}:${http.port}/` : "",
    stop: async () => {
      await receiver.stop();
      await store.close();
    },
  };
};
