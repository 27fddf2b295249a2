import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { withFaultSwitch } from "../../src/broker/store/faulty.js";
import { createSqliteStore } from "../../src/broker/store/sqlite/index.js";

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("store fault switch", () => {
  it("makes ping() fail while the named file exists, and leaves the other methods alone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "claudemesh-fault-"));
    dirs.push(dir);
    const fault = join(dir, "db-down");
    const store = withFaultSwitch(createSqliteStore({ path: ":memory:" }), fault);
    try {
      await store.migrate();
      await expect(store.ping()).resolves.toBeUndefined();
      writeFileSync(fault, "");
      await expect(store.ping()).rejects.toThrow(/fault/);
      expect(await store.countPresences("mesh")).toBe(0);
      rmSync(fault);
      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("with `writes` in the file, fails every write with SQLITE_FULL while reads and ping() answer", async () => {
    const dir = mkdtempSync(join(tmpdir(), "claudemesh-fault-"));
    dirs.push(dir);
    const fault = join(dir, "disk-full");
    const store = withFaultSwitch(createSqliteStore({ path: ":memory:" }), fault);
    try {
      await store.migrate();
      writeFileSync(fault, "writes");
      await expect(store.probeWrite(1)).rejects.toMatchObject({ code: "SQLITE_FULL" });
      await expect(store.takeTokens([{ key: "k", burst: 1, refillPerSec: 1 }], 1)).rejects.toThrow(
        /disk is full/,
      );
      await expect(store.ping()).resolves.toBeUndefined();
      expect(await store.queueDepth()).toBe(0);
      rmSync(fault);
      await expect(store.probeWrite(2)).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("returns the store itself when no fault file is configured", () => {
    const store = createSqliteStore({ path: ":memory:" });
    try {
      expect(withFaultSwitch(store, undefined)).toBe(store);
      expect(withFaultSwitch(store, "")).toBe(store);
    } finally {
      void store.close();
    }
  });
});
