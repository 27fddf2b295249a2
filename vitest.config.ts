import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Most suites wait on real processes (brokers, daemons, the CLI), not on the CPU: on a 2-core machine
    // the default (one worker per spare core) would run them one at a time.
    maxWorkers: 4,
    minWorkers: 1,
  },
});
