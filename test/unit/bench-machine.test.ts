/** The benchmark's machine figures: the pause probe and the rows the reports print. */
import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { MachineMeter, machineRows, PAUSE_THRESHOLD_MS, type MachineFigures } from "../../bench/machine.js";

/** Holds the event loop, as a machine that stops running this process would. */
function hold(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe("bench machine figures", () => {
  it("counts a stretch in which the process could not run as a pause, and how long it lasted", async () => {
    const meter = new MachineMeter();
    await delay(20);
    hold(PAUSE_THRESHOLD_MS * 4);
    await delay(20);
    const figures = meter.figures(0);
    expect(figures.pauses.count).toBeGreaterThanOrEqual(1);
    expect(figures.pauses.longestMs).toBeGreaterThanOrEqual(PAUSE_THRESHOLD_MS * 3);
    expect(figures.pauses.lostMs).toBeGreaterThanOrEqual(figures.pauses.longestMs - 1);
    expect(figures.cores).toBeGreaterThanOrEqual(1);
  });

  it("stops measuring at stop(): a pause after it does not count", async () => {
    const meter = new MachineMeter();
    await delay(10);
    meter.stop();
    hold(PAUSE_THRESHOLD_MS * 4);
    await delay(10);
    expect(meter.figures(0).pauses.count).toBe(0);
  });

  it("prints how busy the machine was and its pauses as two rows", () => {
    const figures: MachineFigures = {
      cores: 2,
      busyPct: 62,
      othersPct: 1,
      stealPct: 3,
      pauses: { count: 5, longestMs: 35.9, lostMs: 109 },
    };
    expect(machineRows("during the run", figures)).toEqual([
      ["machine during the run", "2 cores, 62% busy (steal 3%), 1% taken by other processes"],
      ["  pauses of 10 ms or more", "5, longest 35.9 ms, 109 ms in all"],
    ]);
    const quiet = { ...figures, busyPct: null, pauses: { count: 0, longestMs: 0, lostMs: 0 } };
    expect(machineRows("in the storm", quiet)).toEqual([
      ["machine in the storm", "2 cores"],
      ["  pauses of 10 ms or more", "none"],
    ]);
  });
});
