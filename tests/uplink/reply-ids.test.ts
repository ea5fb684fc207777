import { describe, expect, it } from "vitest";
import { replyBody } from "../../src/contract/messages.js";
import { commandIdOf } from "../../src/uplink/replies.js";

describe("commandIdOf echoes a bounded, printable id", () => {
  const payload = (id: unknown) => Buffer.from(JSON.stringify({ v: 1, id, ts: "x", body: {} }));

  it("echoes a well-formed id as it is", () => {
    expect(commandIdOf(payload("cmd-00000001"))).toBe("cmd-00000001");
  });

  it("says 'invalid' for a 100 kB id and for ids with control or non-ASCII characters", () => {
    for (const id of [
      "x".repeat(100_000),
      "cmd-0001\n\u001b[2J",
      "cmd-\u0000-0001",
      "cmd-\u007f0001",
      "cmd-ü-0001",
      "",
    ]) {
      const echoed = commandIdOf(payload(id));
      expect(echoed).toBe("invalid");
      // Still a valid reply under the contract.
      expect(
        replyBody.safeParse({
          command_id: echoed,
          command: "ping",
          status: "error",
          error: { code: "x", message: "y" },
        }).success,
      ).toBe(true);
    }
  });

  it("says 'unknown' when there is no id to echo", () => {
    expect(commandIdOf(Buffer.from("{nope"))).toBe("unknown");
    expect(commandIdOf(payload(42))).toBe("unknown");
  });
});
