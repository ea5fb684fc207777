import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // The install inside a debootstrapped Debian is on demand (`npm run test:install` sets the variable).
    exclude: [
      "tests/bench/**",
      "node_modules/**",
      "dist/**",
      ...(process.env.HEARTH_TEST_INSTALL ? [] : ["tests/deploy/debootstrap.test.ts"]),
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start brokers and pseudo-terminals; two cores, so keep parallelism modest.
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ["default", "./tests/helpers/summary-reporter.ts"],
    benchmark: { include: ["tests/bench/**/*.bench.ts"] },
  },
});
