import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Things that arrive (a message, a rendered row) get as long as a loaded machine needs; a poll that
    // gives up after vitest's default second fails on a busy one.
    expect: { poll: { timeout: 15_000 } },
    pool: "forks",
    // Most suites wait on real processes (brokers, daemons, the CLI), not on the CPU: on a 2-core machine
    // the default (one worker per spare core) would run them one at a time.
    maxWorkers: 4,
    minWorkers: 1,
  },
});
