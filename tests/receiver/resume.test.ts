import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mosquittoAvailable, startMosquitto, type TestBroker } from "../helpers/brokers.js";
import { waitFor } from "../helpers/wait.js";
import {
  decisions,
  FakeGateway,
  receiverOptions,
  sqliteStoreFactory,
  startReceiver,
  startWebhook,
  waitDecision,
} from "./rig.js";

/**
 * An instance of the group killed after it stored an alert's state and before it queued the webhook:
 * the store holds the state, the webhook queue does not. The message comes again (the gateway's resend
 * after the receiver asked for the gap) and the instance that takes it must finish the job.
 */
describe.skipIf(!mosquittoAvailable())("an alert half handled by a killed instance", () => {
  let broker: TestBroker;
  const sqlite = sqliteStoreFactory();
  beforeAll(async () => {
    broker = await startMosquitto();
  }, 60_000);
  afterAll(async () => {
    await broker?.close();
    sqlite.cleanup();
  });

  it("is finished when the message comes again: stored line and webhook once, a true duplicate does nothing", async () => {
    const hook = await startWebhook([200]);
    const store = sqlite.make();
    const gw = await FakeGateway.start(broker.url, "home-resume", 1);
    const env = gw.alert("alert-resume-1", "raised", 1);
    const body = env.body as Record<string, unknown>;
    const r = await startReceiver(
      receiverOptions(broker.url, { group: "g-resume", webhook: { url: hook.url, secret: undefined } }),
      store,
    );
    // What the killed instance left: the state stored, nothing else.
    expect(
      await r.store.applyAlert({
        alert: "alert-resume-1",
        home: "home-resume",
        kind: "call",
        state: "raised",
        device: "button-1",
        since: body.since as string,
        evidence: body.evidence as Record<string, unknown>,
        origin: "gateway",
        messageId: env.id as string,
        updatedAt: Date.now(),
      }),
    ).toBe(true);
    try {
      await gw.publish(env);
      const [stored] = await waitDecision([r], "alert_stored");
      expect(stored).toMatchObject({ alert: "alert-resume-1", state: "raised", id: env.id });
      await waitDecision([r], "webhook_delivered");
      expect(hook.requests.map((q) => q.headers["idempotency-key"])).toEqual([env.id]);
      expect(JSON.parse(hook.requests[0]?.body ?? "{}")).toMatchObject({
        alert: "alert-resume-1",
        state: "raised",
      });

      // The same message once more, now handled in full: a duplicate, no second line, no second POST.
      await gw.publish(env);
      await waitDecision([r], "duplicate", (l) => l.id === env.id);
      expect(decisions([r], "alert_stored")).toHaveLength(1);
      // A later state set by another message is not taken for a half-handled one either.
      const later = gw.alert("alert-resume-1", "acknowledged", 2);
      await gw.publish(later);
      await waitDecision([r], "alert_stored", (l) => l.state === "acknowledged");
      await waitFor("both webhook posts", () => hook.requests.length === 2);
      await gw.publish(env);
      await waitDecision([r], "duplicate", (l) => l.id === env.id, 2);
      expect(decisions([r], "alert_stored")).toHaveLength(2);
      expect(hook.requests.map((q) => q.headers["idempotency-key"])).toEqual([env.id, later.id]);
    } finally {
      await gw.close();
      await r.stop();
      await hook.close();
    }
  }, 60_000);
});
