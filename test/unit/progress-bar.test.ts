/**
 * The transfer progress bar: its text for a state (bytes done / total, percent, rate), how the drawn bar
 * derives the rate from the reports, and that `file_progress` events are not kept for replay.
 */
import { describe, expect, it } from "vitest";
import { ProgressBar, formatBytes, renderProgress } from "../../src/cli/progress.js";
import { EventHub } from "../../src/daemon/events.js";

const MiB = 1024 * 1024;

describe("renderProgress", () => {
  it("shows the bar, bytes done of total, the percent and the rate", () => {
    expect(
      renderProgress({ label: "uploading a.bin", done: 2.5 * MiB, total: 5 * MiB, rate: 1.5 * MiB }),
    ).toBe("uploading a.bin [██████████░░░░░░░░░░] 2.5 MiB / 5.0 MiB  50%  1.5 MiB/s");
  });

  it("leaves the rate out while unknown, and is full and 100% at the end", () => {
    expect(renderProgress({ label: "x", done: 0, total: 2048, rate: null })).toBe(
      "x [░░░░░░░░░░░░░░░░░░░░] 0 B / 2.0 KiB   0%",
    );
    expect(renderProgress({ label: "x", done: 2048, total: 2048, rate: 0 })).toBe(
      "x [████████████████████] 2.0 KiB / 2.0 KiB 100%",
    );
  });

  it("never overflows: done beyond total and an unknown total stay within the bar", () => {
    expect(renderProgress({ label: "x", done: 3000, total: 2000, rate: null })).toContain(
      "[████████████████████]",
    );
    expect(renderProgress({ label: "x", done: 10, total: 0, rate: null })).toContain("   0%");
  });

  it("formats bytes in B, KiB and MiB", () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(50 * MiB)]).toEqual([
      "512 B",
      "1.5 KiB",
      "50.0 MiB",
    ]);
  });
});

describe("ProgressBar", () => {
  it("redraws one line in place with the rate since the first report, and clears it at the end", () => {
    const written: string[] = [];
    let now = 1_000;
    const bar = new ProgressBar({ write: (text) => written.push(text), isTTY: true }, "up", () => now);
    bar.update(0, 4 * MiB);
    now += 2_000;
    bar.update(4 * MiB, 4 * MiB);
    bar.stop();
    expect(written).toEqual([
      `\r\u001b[2K${renderProgress({ label: "up", done: 0, total: 4 * MiB, rate: null })}`,
      `\r\u001b[2K${renderProgress({ label: "up", done: 4 * MiB, total: 4 * MiB, rate: 2 * MiB })}`,
      "\r\u001b[2K",
    ]);
  });

  it("draws nothing and clears nothing when no report came", () => {
    const written: string[] = [];
    new ProgressBar({ write: (text) => written.push(text) }, "up").stop();
    expect(written).toEqual([]);
  });
});

describe("file_progress events", () => {
  it("reach listeners but are not kept for replay", () => {
    const hub = new EventHub(0, (error) => {
      throw error;
    });
    const viewer = { session: null };
    const live: string[] = [];
    hub.subscribe(viewer, (event) => live.push(event.name));
    const scope = { meshId: "m", sessionPubkey: null };
    hub.publish(
      "file_progress",
      { mesh: "team", transferId: "t1", direction: "up", done: 1, total: 1 },
      scope,
    );
    hub.publish("file_shared", { mesh: "team" }, scope);
    expect(live).toEqual(["file_progress", "file_shared"]);
    expect(hub.replay(viewer, 0).map((e) => e.name)).toEqual(["file_shared"]);
  });
});
