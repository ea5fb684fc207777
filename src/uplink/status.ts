import type { StatusBody } from "../contract/messages.js";
import type { LaneSeqs } from "../contract/stored.js";
import { topicFor } from "../contract/topics.js";
import type { Clock, Timer } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { Connection } from "./connection.js";
import { type StampContext, stamp } from "./envelopes.js";

export interface StatusOptions {
  home: string;
  /** Agent version, in every status. */
  version: string;
  clock: Clock;
  heartbeatMs: number;
  health: () => StatusBody["health"];
  /** Whether the replay of connection `c` has drained (the uplink's drain knows). */
  replayDrained: (c: Connection) => boolean;
  /** The latest lane_seq per lane, so a receiver sees a lost tail, not only gaps. */
  laneSeqs: () => LaneSeqs;
  watch?: (() => StatusBody["watch"]) | undefined;
  log: Logger;
  stamp: StampContext;
  /** The live connection, if any: a heartbeat stops when its connection is no longer it. */
  current: () => Connection | undefined;
}

/**
 * The gateway's retained status: online with health at connect and every heartbeat, offline as the
 * last will (the broker publishes it when the connection is lost) and at a clean stop.
 */
export class StatusReporter {
  readonly #o: StatusOptions;
  #heartbeat: Timer | undefined;

  constructor(o: StatusOptions) {
    this.#o = o;
  }

  /** The last will's payload, stamped for one connection attempt (session `session`). */
  will(session: number): string {
    const will = stamp(this.#o.stamp, "status", {
      state: "offline",
      version: this.#o.version,
      reason: "connection lost",
      session,
    });
    return JSON.stringify(will);
  }

  /** Publishes online now, and again every heartbeat while `c` is the live connection. */
  online(c: Connection): void {
    this.#publish(c, this.#online(c));
    this.#heartbeat?.cancel();
    this.#heartbeat = this.#o.clock.setInterval(() => {
      if (this.#o.current() === c && c.connected) this.#publish(c, this.#online(c));
    }, this.#o.heartbeatMs);
  }

  /** Publishes offline with `reason`; `done` runs when the broker acknowledged it (or refused). */
  offline(c: Connection, reason: string, done: () => void): void {
    this.#publish(c, { state: "offline", version: this.#o.version, reason, session: c.session }, done);
  }

  stopHeartbeat(): void {
    this.#heartbeat?.cancel();
    this.#heartbeat = undefined;
  }

  #online(c: Connection): StatusBody {
    let watch: StatusBody["watch"];
    try {
      watch = this.#o.watch?.();
    } catch (e) {
      this.#o.log.warn({ err: e }, "Watch level unknown; status goes without it");
    }
    return {
      state: "online",
      version: this.#o.version,
      session: c.session,
      ...(watch ? { watch } : {}),
      health: this.#health(c),
    };
  }

  #health(c: Connection): StatusBody["health"] {
    let figures: StatusBody["health"];
    try {
      figures = this.#o.health();
    } catch (e) {
      this.#o.log.warn({ err: e }, "Health report failed; status goes without its figures");
    }
    let laneSeq: LaneSeqs | undefined;
    try {
      laneSeq = this.#o.laneSeqs();
    } catch (e) {
      this.#o.log.warn({ err: e }, "Lane numbers unknown; status goes without them");
    }
    return {
      ...figures,
      replay_drained: this.#o.replayDrained(c),
      ...(laneSeq ? { lane_seq: laneSeq } : {}),
    };
  }

  #publish(c: Connection, body: StatusBody, done?: () => void): void {
    let payload: string;
    try {
      payload = JSON.stringify(stamp(this.#o.stamp, "status", body));
    } catch (e) {
      this.#o.log.error({ err: e }, "Status message breaks the contract; sending it without health");
      const { health: _dropped, ...bare } = body;
      payload = JSON.stringify(stamp(this.#o.stamp, "status", bare));
    }
    c.publish(topicFor(this.#o.home, "status"), payload, true, (err) => {
      if (err && !c.down) this.#o.log.warn({ broker: c.url, err }, "Status not acknowledged");
      done?.();
    });
  }
}
