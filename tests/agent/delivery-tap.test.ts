import { describe, expect, it } from "vitest";
import { deliveryTap } from "../../src/agent/cellular.js";
import type { UplinkSource } from "../../src/uplink/types.js";

function source(calls: string[], later: boolean): UplinkSource {
  return {
    pending: () => [],
    markDelivered: (seqs) => calls.push(`now ${seqs.join(",")}`),
    ...(later
      ? { markDeliveredLater: (seqs: readonly number[]) => calls.push(`later ${seqs.join(",")}`) }
      : {}),
    openAlerts: () => [],
    onWrite: () => () => {},
    lastSeq: () => 0,
    laneSeqs: () => ({ alert: 0, event: 0, telemetry: 0 }),
  };
}

describe("the uplink's view of the outbox (deliveryTap)", () => {
  it("passes deferred marks on as deferred, and tells the SMS fallback of every acknowledgement", () => {
    const calls: string[] = [];
    const told: number[][] = [];
    const tap = deliveryTap(source(calls, true), (seqs) => told.push([...seqs]));
    tap.markDelivered([1]);
    tap.markDeliveredLater?.([2, 3]);
    expect(calls).toEqual(["now 1", "later 2,3"]);
    expect(told).toEqual([[1], [2, 3]]);
  });

  it("passes settle on (the checkpoint a replay's marks put off), and has none when the outbox has none", () => {
    let settled = 0;
    const tap = deliveryTap({ ...source([], true), settle: () => settled++ }, () => {});
    tap.settle?.();
    expect(settled).toBe(1);
    expect(deliveryTap(source([], true), () => {}).settle).toBeUndefined();
  });

  it("marks at once when the outbox has no deferred marks", () => {
    const calls: string[] = [];
    const tap = deliveryTap(source(calls, false), () => {});
    tap.markDeliveredLater?.([4]);
    expect(calls).toEqual(["now 4"]);
  });
});
