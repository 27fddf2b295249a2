/**
 * Where the daemon saves a download, on real temp dirs: a shared name is used only when it is one plain,
 * visible file name (whatever a broker answers), an existing file is never replaced unless asked, even
 * when it appears after the check, and no temporary file is left behind either way.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { downloadTarget, unusableFileName, writeLocalFile } from "../../src/daemon/files/local-files.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cm-local-files-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("the shared name", () => {
  it("is used only when it is one plain, visible file name", () => {
    for (const name of ["report.txt", "notes é.md", "a..b", "-rf", "x"])
      expect(unusableFileName(name)).toBeNull();
    for (const name of [
      "",
      ".",
      "..",
      ".bashrc",
      "../x",
      "a/b",
      "/etc/passwd",
      "a\\b",
      "..\\x",
      "a\0b",
      "a\nb",
    ])
      expect(unusableFileName(name), JSON.stringify(name)).not.toBeNull();
  });

  it("never leads out of the directory it is saved in", async () => {
    for (const name of ["..", "../escape", "a\\..\\b", ".profile", "a\0b"]) {
      await expect(downloadTarget(dir, name, true), JSON.stringify(name)).rejects.toMatchObject({
        code: "unsafe_file_name",
      });
    }
    expect(await downloadTarget(dir, "report.txt", false)).toBe(join(dir, "report.txt"));
  });
});

describe("the destination", () => {
  it("is refused when it exists, unless replacing; a directory there is never replaced", async () => {
    const existing = join(dir, "report.txt");
    writeFileSync(existing, "mine");
    for (const path of [existing, dir])
      await expect(downloadTarget(path, "report.txt", false)).rejects.toMatchObject({ code: "file_exists" });
    expect(await downloadTarget(dir, "report.txt", true)).toBe(existing);
    mkdirSync(join(dir, "sub"));
    await expect(downloadTarget(dir, "sub", true)).rejects.toMatchObject({ code: "file_exists" });
    await expect(downloadTarget(join(dir, "missing", "x"), "x", true)).rejects.toMatchObject({
      code: "write_failed",
      message: expect.stringContaining("is not a directory"),
    });
  });

  it("that appears after the check is not replaced, and no temporary file stays", async () => {
    const path = join(dir, "report.txt");
    expect(await downloadTarget(dir, "report.txt", false)).toBe(path);
    writeFileSync(path, "written meanwhile");
    await expect(writeLocalFile(path, Buffer.from("downloaded"), false)).rejects.toMatchObject({
      code: "file_exists",
    });
    expect(readFileSync(path, "utf8")).toBe("written meanwhile");
    expect(readdirSync(dir)).toEqual(["report.txt"]);

    await writeLocalFile(path, Buffer.from("downloaded"), true);
    expect(readFileSync(path, "utf8")).toBe("downloaded");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["report.txt"]);

    const fresh = join(dir, "fresh.bin");
    await writeLocalFile(fresh, Buffer.from("new"), false);
    expect(readFileSync(fresh, "utf8")).toBe("new");
    expect(statSync(fresh).nlink).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(["fresh.bin", "report.txt"]);
  });
});
