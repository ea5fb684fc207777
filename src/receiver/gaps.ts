import { LANES, type Lane } from "../contract/stored.js";
import type { ReceiverContext } from "./context.js";
import type { MissingRange } from "./store/types.js";

/** Lanes that must not lose anything; telemetry may be shed by the gateway's outbox bound. */
const GAP_LANES: readonly Lane[] = LANES.filter((l) => l !== "telemetry");

/**
 * Gap filling (docs/contract.md, "Telling loss from shedding and replay"): once a heartbeat says the
 * replay has drained, a lane_seq missing in the alert or event lane (or above the highest seen, up to
 * the heartbeat's `lane_seq`) is a gap: asked for with `cmd/resend` (seq bounds from its neighbours),
 * recorded filled when every number arrived, lost when a later drained heartbeat, `graceMs` after the
 * ask, still finds it open (outside the gateway's retention).
 */
export class GapFiller {
  readonly #ctx: ReceiverContext;
  readonly #graceMs: number;

  constructor(ctx: ReceiverContext, graceMs: number) {
    this.#ctx = ctx;
    this.#graceMs = graceMs;
  }

  /** After a message of a stored lane arrived: a gap it closes is filled. */
  async onLaneSeq(home: string): Promise<void> {
    await this.#settle(home, false);
  }

  async onDrainedHeartbeat(
    home: string,
    latestSeq: number,
    session: number,
    laneSeq: { alert: number; event: number; telemetry: number } | undefined,
  ): Promise<void> {
    await this.#settle(home, true);
    const { store, clock, decide } = this.#ctx;
    const opened: { lane: Lane; r: MissingRange }[] = [];
    for (const lane of GAP_LANES) {
      const ranges = await store.missingRanges(home, lane, laneSeq?.[lane] ?? 0, latestSeq);
      for (const r of ranges)
        if (await store.openGap({ ...r, home, lane, state: "asked", askedAt: clock.wallMs(), session }))
          opened.push({ lane, r });
    }
    if (opened.length === 0) return;
    // One resend at a time (the gateway answers `busy` otherwise): one command covers every gap found
    // in this heartbeat, from the lowest seq to the highest.
    const from = Math.min(...opened.map((o) => o.r.fromSeq));
    const to = Math.max(...opened.map((o) => o.r.toSeq));
    const commandId = await this.#ctx.commands.send(home, "resend", { from_seq: from, to_seq: to });
    for (const { lane, r } of opened)
      decide({
        decision: "gap_asked",
        home,
        lane,
        from_lane_seq: r.fromLaneSeq,
        to_lane_seq: r.toLaneSeq,
        from_seq: r.fromSeq,
        to_seq: r.toSeq,
        command_id: commandId,
      });
  }

  async #settle(home: string, drained: boolean): Promise<void> {
    const { store, clock, decide } = this.#ctx;
    const now = clock.wallMs();
    for (const g of await store.gaps(home, ["asked"])) {
      const range = { home, lane: g.lane, from_lane_seq: g.fromLaneSeq, to_lane_seq: g.toLaneSeq };
      if (await store.rangeComplete(home, g.lane, g.fromLaneSeq, g.toLaneSeq)) {
        if (await store.moveGap(g, "asked", "filled", now)) decide({ decision: "gap_filled", ...range });
      } else if (drained && now - g.askedAt >= this.#graceMs) {
        if (await store.moveGap(g, "asked", "lost", now)) {
          this.#ctx.log.error({ ...range }, "Gap lost: the gateway no longer holds these messages");
          decide({ decision: "gap_lost", ...range });
        }
      }
    }
  }
}
