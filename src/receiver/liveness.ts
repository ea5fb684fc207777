import type { Envelope } from "../contract/messages.js";
import type { Timer } from "../core/clock.js";
import type { ReceiverContext } from "./context.js";
import type { GapFiller } from "./gaps.js";
import type { GatewayRow } from "./store/types.js";

/** The receiver-side alert kind for a gateway that stopped being heard: nobody is watching that home. */
export const GATEWAY_OFFLINE_KIND = "gateway_offline";

const offlineAlertId = (home: string, session: number) => `rx-offline-${session}-${home}`;

export interface LivenessOptions {
  /** A gateway online but unheard for longer than this is offline (a stalled network sends no will). */
  heartbeatAllowanceMs: number;
  /** How often gateways are checked against the allowance. */
  sweepMs: number;
}

/**
 * Gateway liveness from the retained status, the last will (with `session`) and the heartbeats; a
 * gateway gone offline raises a receiver-side alert, cleared when it comes back; its desired watch
 * level is sent again when it does.
 */
export class Liveness {
  readonly #ctx: ReceiverContext;
  readonly #o: LivenessOptions;
  readonly #gaps: GapFiller;
  #timer: Timer | undefined;

  constructor(ctx: ReceiverContext, o: LivenessOptions, gaps: GapFiller) {
    this.#ctx = ctx;
    this.#o = o;
    this.#gaps = gaps;
  }

  start(): void {
    this.#timer = this.#ctx.clock.setInterval(() => {
      void this.sweep().catch((e: unknown) => this.#ctx.log.error({ err: e }, "Liveness sweep failed"));
    }, this.#o.sweepMs);
  }

  stop(): void {
    this.#timer?.cancel();
  }

  async onStatus(env: Envelope<"status">): Promise<void> {
    const { store, clock, decide } = this.#ctx;
    const b = env.body;
    const now = clock.wallMs();
    const change = await store.applyStatus({
      home: env.home,
      state: b.state,
      session: b.session,
      reason: b.reason,
      version: b.version,
      seq: env.seq,
      watch: b.watch,
      replayDrained: b.health?.replay_drained === true,
      health: b.health as Record<string, unknown> | undefined,
      at: now,
    });
    if (!change) {
      this.#ctx.log.debug({ home: env.home, session: b.session, state: b.state }, "Older status ignored");
      return;
    }
    if (change.transition === "online") {
      const before = change.before;
      const offlineFor = before ? now - before.lastStatusAt : undefined;
      const uptime = b.health?.uptime_s;
      decide({
        decision: "gateway_online",
        home: env.home,
        session: b.session,
        ...(before && before.session > 0 ? { previous_session: before.session } : {}),
        ...(before?.offlineBy ? { previous: before.offlineBy } : {}),
        ...(uptime !== undefined && offlineFor !== undefined && before?.session
          ? { restarted: uptime * 1000 < offlineFor }
          : {}),
      });
      if (before?.offlineBy) await this.#clearOffline(before);
      await this.#resendWatch(change.after);
    } else if (change.transition === "offline") {
      const by = change.after.offlineBy ?? "will";
      await this.#wentOffline(change.after, by);
    }
    if (b.state === "online" && b.health?.replay_drained === true)
      await this.#gaps.onDrainedHeartbeat(env.home, env.seq, b.session, b.health.lane_seq);
  }

  /** Gateways online but silent past the allowance go offline, once across instances. */
  async sweep(): Promise<void> {
    const now = this.#ctx.clock.wallMs();
    const since = now - this.#o.heartbeatAllowanceMs;
    for (const g of await this.#ctx.store.silentGateways(since)) {
      if (!(await this.#ctx.store.markSilent(g.home, since, now))) continue;
      await this.#wentOffline({ ...g, reason: "heartbeat allowance passed" }, "silent");
    }
  }

  async #wentOffline(g: GatewayRow, by: "will" | "stopped" | "silent"): Promise<void> {
    const now = this.#ctx.clock.wallMs();
    this.#ctx.decide({
      decision: "gateway_offline",
      home: g.home,
      session: g.session,
      by,
      ...(g.reason ? { reason: g.reason } : {}),
    });
    this.#ctx.log.warn(
      { home: g.home, session: g.session, by },
      "Gateway offline: nobody is watching that home",
    );
    await this.#ctx.alertChanged(
      {
        alert: offlineAlertId(g.home, g.session),
        home: g.home,
        kind: GATEWAY_OFFLINE_KIND,
        state: "raised",
        device: undefined,
        since: new Date(now).toISOString(),
        evidence: {
          by,
          reason: g.reason ?? null,
          session: g.session,
          last_heartbeat: g.lastHeartbeatAt ? new Date(g.lastHeartbeatAt).toISOString() : null,
        },
        origin: "receiver",
        messageId: `rx-offline-${g.session}-${by}-${g.home}`,
        updatedAt: now,
      },
      undefined,
    );
  }

  async #clearOffline(before: GatewayRow): Promise<void> {
    const id = offlineAlertId(before.home, before.session);
    const open = await this.#ctx.store.getAlert(id);
    if (!open || open.state === "cleared" || open.state === "acknowledged") return;
    await this.#ctx.alertChanged(
      {
        ...open,
        state: "cleared",
        evidence: { ...open.evidence, back_online: new Date(this.#ctx.clock.wallMs()).toISOString() },
        messageId: `${open.messageId}-cleared`,
        updatedAt: this.#ctx.clock.wallMs(),
      },
      undefined,
    );
  }

  /** Commands expire in minutes: the desired watch level is sent again on every return. */
  async #resendWatch(g: GatewayRow): Promise<void> {
    if (!g.desiredWatch) return;
    const until = g.desiredWatchUntil;
    if (until !== undefined && Date.parse(until) <= this.#ctx.clock.wallMs()) return;
    await sendWatch(this.#ctx, g.home, g.desiredWatch, until, "online");
  }
}

/** Sends a `watch` command and writes its decision line. */
export async function sendWatch(
  ctx: ReceiverContext,
  home: string,
  level: string,
  until: string | undefined,
  reason: "set" | "online",
): Promise<void> {
  const body: Record<string, unknown> = { level, ...(until ? { until } : {}) };
  const commandId = await ctx.commands.send(home, "watch", body);
  ctx.decide({
    decision: "watch_sent",
    home,
    level,
    ...(until ? { until } : {}),
    command_id: commandId,
    reason,
  });
}
