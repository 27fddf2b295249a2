import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A test that runs a dozen CLI processes one after another takes 20 s on a loaded 2-core machine: the
    // limit is for hangs, not for speed (that is `npm run bench`'s job).
    testTimeout: 60_000,
    hookTimeout: 60_000,
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
