/** The broker's event-loop delay gauges: a held loop shows as delay, and a scrape sees whole windows. */
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { EventLoopDelay, Metrics } from "../../src/broker/metrics.js";

/** Holds the event loop, as a broker busy with one long piece of work would. */
function hold(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/** A watch over a window in which the loop was held for 120 ms between two idle stretches. */
async function watchedHold(): Promise<EventLoopDelay> {
  const watch = new EventLoopDelay(60_000);
  stops.push(() => watch.stop());
  await delay(30);
  hold(120);
  await delay(30);
  return watch;
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

describe("event-loop delay", () => {
  it("shows a held loop as its longest delay, in seconds", async () => {
    const watch = await watchedHold();
    const seconds = watch.seconds;
    expect(seconds).not.toBeNull();
    expect(seconds!.max).toBeGreaterThanOrEqual(0.1);
    expect(seconds!.p50).toBeLessThanOrEqual(seconds!.max);
  });

  it("keeps what a whole window saw until the next window ends, however often it is read", async () => {
    const watch = await watchedHold();
    watch.endWindow();
    const ended = watch.seconds!;
    expect(ended.max).toBeGreaterThanOrEqual(0.1);
    // The loop runs on in a new window; the reading stays the ended window's.
    await delay(50);
    expect(watch.seconds).toEqual(ended);
  });

  it("renders as the broker_event_loop_delay gauges", async () => {
    const metrics = new Metrics();
    stops.push(metrics.watchEventLoop(60_000));
    await delay(50);
    const text = metrics.render();
    expect(text).toContain("# TYPE broker_event_loop_delay_seconds gauge");
    expect(text).toMatch(/^broker_event_loop_delay_seconds\{quantile="0\.5"\} \d/m);
    expect(text).toMatch(/^broker_event_loop_delay_seconds\{quantile="0\.99"\} \d/m);
    expect(text).toMatch(/^broker_event_loop_delay_max_seconds \d/m);
  });
});
