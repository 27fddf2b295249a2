import { describe, expect, it } from "vitest";
import { createInProcessWake } from "../../src/broker/cluster/in-process.js";
import type { DueRecipient } from "../../src/broker/store/port/index.js";

const recipient: DueRecipient = {
  meshId: "mesh",
  recipientKind: "member",
  recipientMemberId: "member",
  recipientPubkey: "a".repeat(64),
};

describe("in-process wake", () => {
  it("hands published recipients to this node's handler at once, and nothing after close", async () => {
    const wake = createInProcessWake();
    const seen: (readonly DueRecipient[])[] = [];
    wake.onWake((recipients) => seen.push(recipients));
    wake.publish([recipient]);
    wake.publish([]);
    expect(seen).toEqual([[recipient]]);
    await wake.close();
    await wake.close();
    wake.publish([recipient]);
    expect(seen).toHaveLength(1);
  });
});
