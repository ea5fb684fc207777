import { describe, expect, it } from "vitest";
import { DETECTION_CONFIG_DEFAULTS } from "../../src/config/detection-defaults.js";
import { detectionSchema } from "../../src/config/schema.js";

describe("the detection defaults the pipeline reads", () => {
  it("equal what the config schema gives for an empty detection section", () => {
    expect(DETECTION_CONFIG_DEFAULTS).toStrictEqual(detectionSchema.parse({}));
  });
});
