import { describe, expect, it } from "vitest";
import { isClosed, refuseTransition } from "../../src/contract/lifecycle.js";

describe("alert lifecycle (contract v1)", () => {
  it("allows raised → escalated → cleared/acknowledged and acknowledged from raised", () => {
    expect(refuseTransition("inactivity", "raised", "escalated")).toBeUndefined();
    expect(refuseTransition("inactivity", "escalated", "cleared", "activity")).toBeUndefined();
    expect(refuseTransition("call", "raised", "acknowledged", "cloud")).toBeUndefined();
    expect(refuseTransition("call", "escalated", "acknowledged", "cloud")).toBeUndefined();
  });

  it("refuses to reopen a closed alert or go back", () => {
    expect(refuseTransition("inactivity", "cleared", "raised")).toMatch(/cannot go from cleared to raised/);
    expect(refuseTransition("inactivity", "escalated", "raised")).toMatch(/cannot go/);
    expect(refuseTransition("call", "acknowledged", "cleared")).toMatch(/cannot go/);
  });

  it("closes a call only by acknowledgement; I am fine clears inactivity only", () => {
    expect(refuseTransition("call", "raised", "cleared", "activity")).toMatch(/only by acknowledgement/);
    expect(refuseTransition("call", "raised", "cleared", "i_am_fine")).toMatch(/only by acknowledgement/);
    expect(refuseTransition("leak", "raised", "cleared", "i_am_fine")).toMatch(/clears inactivity only/);
    expect(refuseTransition("inactivity", "raised", "cleared", "i_am_fine")).toBeUndefined();
  });

  it("protects a fall like a call: closed only by acknowledgement, never by I am fine (issue 10)", () => {
    expect(refuseTransition("fall", "raised", "cleared", "activity")).toMatch(
      /a fall is closed only by acknowledgement/,
    );
    expect(refuseTransition("fall", "escalated", "cleared", "recovered")).toMatch(/only by acknowledgement/);
    expect(refuseTransition("fall", "raised", "cleared", "i_am_fine")).toMatch(/only by acknowledgement/);
    expect(refuseTransition("fall", "raised", "acknowledged", "i_am_fine")).toMatch(/clears inactivity only/);
    expect(refuseTransition("fall", "raised", "acknowledged", "cloud")).toBeUndefined();
    expect(refuseTransition("fall", "escalated", "acknowledged", "cloud")).toBeUndefined();
    expect(refuseTransition("not_home", "raised", "cleared", "activity")).toBeUndefined();
  });

  it("knows which states are closed", () => {
    expect(["raised", "escalated", "cleared", "acknowledged"].map((s) => isClosed(s as never))).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });
});
