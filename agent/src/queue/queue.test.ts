// The queue on disk: what a crash can leave behind and what the agent makes of it at start, how the
// journal's segments come and go, a disk that refuses a write halfway, and group commit sharing fsyncs
// between concurrent writers.
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../log";
import { tempDir, waitFor } from "../test-support/fixtures";
import { DirectorySync } from "./durable-files";
import { MailQueue, queueDir, queueSize, readQueue } from "./queue";

let state: Awaited<ReturnType<typeof tempDir>>;
let queue: MailQueue;

beforeEach(async () => {
  state = await tempDir("mw-queue-");
  queue = new MailQueue({ stateDir: state.dir, logger: silentLogger() });
});

afterEach(async () => {
  await queue.close();
  await state.remove();
});

const reopen = (options: { segmentBytes?: number; compactAfterMs?: number } = {}) =>
  new MailQueue({ stateDir: state.dir, logger: silentLogger(), ...options });

const journalFiles = async () =>
  (await readdir(queueDir(state.dir))).filter((name) => name.endsWith(".journal")).sort();

const queueOne = (target: MailQueue, index: number, body = `m${index}`) =>
  target.enqueue({ mailFrom: "", recipients: [{ address: `r${index}@remote.test` }] }, Buffer.from(body));

describe("the queue on disk", () => {
  it("has the message and its metadata on disk (0600) before enqueue resolves, and tells its listener", async () => {
    const seen: string[] = [];
    queue.onEnqueued((entry) => seen.push(entry.id));
    const entry = await queue.enqueue(
      {
        mailFrom: "alice@example.test",
        spf: "pass",
        recipients: [
          {
            address: "bob@example.test",
            mailbox: { domain: "example.test", localPart: "bob" },
            prepend: "X: 1\r\n",
          },
          { address: "partner@remote.test" },
        ],
      },
      Buffer.from("Subject: hi\r\n\r\nbody\r\n"),
    );
    expect(seen).toEqual([entry.id]);
    const [journal] = await journalFiles();
    expect((await stat(path.join(queueDir(state.dir), journal!))).mode & 0o777).toBe(0o600);
    // a reader finds the entry on disk at once, and so does the next start
    expect((await readQueue(state.dir)).map((stored) => stored.id)).toEqual([entry.id]);
    await queue.close();
    const later = reopen();
    const [found] = await later.open();
    expect(found).toMatchObject({
      id: entry.id,
      mailFrom: "alice@example.test",
      spf: "pass",
      recipients: [
        { address: "bob@example.test", state: "pending", attempts: 0, prepend: "X: 1\r\n" },
        { address: "partner@remote.test", state: "pending", attempts: 0, prepend: "" },
      ],
    });
    expect((await later.readMessage(entry.id)).toString()).toBe("Subject: hi\r\n\r\nbody\r\n");
    expect(await queueSize(state.dir)).toBe(1);
    await later.close();
  });

  it("saves metadata and removes an entry, both surviving a restart", async () => {
    const entry = await queueOne(queue, 1, "m");
    entry.recipients[0]!.attempts = 3;
    entry.recipients[0]!.lastError = "451 4.4.1 later";
    await queue.save(entry);
    expect((await readQueue(state.dir))[0]?.recipients[0]).toMatchObject({
      attempts: 3,
      lastError: "451 4.4.1 later",
    });
    expect((await queue.readMessage(entry.id)).toString()).toBe("m");
    await queue.remove(entry.id);
    expect(await queue.exists(entry.id)).toBe(false);
    await queue.close();
    const restarted = reopen();
    expect(await restarted.open()).toEqual([]);
    await restarted.close();
    expect(await queueSize(state.dir)).toBe(0);
  });

  it("drops a torn or damaged last record (never acknowledged) and keeps every entry before it", async () => {
    const first = await queueOne(queue, 1, "first message");
    const second = await queueOne(queue, 2, "second message");
    await queue.close();
    const file = path.join(queueDir(state.dir), (await journalFiles())[0]!);
    const whole = await readFile(file);
    // a crash in the middle of the second write: its last bytes never reached the disk
    await writeFile(file, whole.subarray(0, whole.length - 3));
    const cut = reopen();
    expect((await cut.open()).map((entry) => entry.id)).toEqual([first.id]);
    await cut.close();
    // a flipped byte inside the second record's message: its checksum no longer matches
    const flipped = Buffer.from(whole);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 2) ^ 0xff, flipped.length - 2);
    await writeFile(file, flipped);
    const survivor = reopen();
    expect((await survivor.open()).map((entry) => entry.id)).toEqual([first.id]);
    expect((await survivor.readMessage(first.id)).toString()).toBe("first message");
    expect(await survivor.exists(second.id)).toBe(false);
    await survivor.close();
  });

  it("moves entries of the older one-file-per-entry layout into the journal, setting unreadable ones aside", async () => {
    const dir = queueDir(state.dir);
    await queue.open();
    const legacy = (id: string, attempts: number) => ({
      version: 1,
      id,
      mailFrom: "old@sender.test",
      receivedAt: "2026-11-01T10:00:00.000Z",
      dsnCount: 0,
      recipients: [
        {
          address: "a@remote.test",
          prepend: "",
          state: "pending",
          attempts,
          nextAttemptAt: "2026-11-01T10:00:00.000Z",
        },
      ],
    });
    await writeFile(path.join(dir, "AAAA.msg"), `${JSON.stringify(legacy("AAAA", 0))}\nSubject: one\r\n\r\n`);
    // a sidecar holds the metadata as of the last attempt; it wins over the first line
    await writeFile(path.join(dir, "DDDD.msg"), `${JSON.stringify(legacy("DDDD", 0))}\nSubject: two\r\n\r\n`);
    await writeFile(path.join(dir, "DDDD.json"), JSON.stringify(legacy("DDDD", 4)));
    await writeFile(path.join(dir, ".EEEE.msg.123.abcd.tmp"), "{half"); // a write a crash interrupted
    await writeFile(path.join(dir, "BBBB.json"), "{}"); // state of an entry whose .msg was already removed
    await writeFile(path.join(dir, "CCCC.msg"), "not json\nsomeone's mail");
    await queue.close();

    const upgraded = reopen();
    const entries = await upgraded.open();
    expect(entries.map((entry) => [entry.id, entry.recipients[0]!.attempts])).toEqual([
      ["AAAA", 0],
      ["DDDD", 4],
    ]);
    expect((await upgraded.readMessage("DDDD")).toString()).toBe("Subject: two\r\n\r\n");
    // unreadable metadata is set aside with its message, never deleted
    expect((await readdir(dir)).filter((name) => !name.endsWith(".journal"))).toEqual(["CCCC.msg.corrupt"]);
    await upgraded.close();
    const again = reopen();
    expect((await again.open()).map((entry) => entry.id)).toEqual(["AAAA", "DDDD"]);
    await again.close();
    expect(await queueSize(state.dir)).toBe(2);
  });

  it("refuses ids that could name a file outside the queue", async () => {
    await expect(
      queue.enqueue(
        { id: "../escape", mailFrom: "", recipients: [{ address: "a@b.test" }] },
        Buffer.from("x"),
      ),
    ).rejects.toThrow();
  });
});

describe("journal segments", () => {
  it("starts new segments as they fill, copies a long-waiting entry forward and deletes the emptied ones", async () => {
    const small = reopen({ segmentBytes: 4096 });
    await small.open();
    const waiting = await queueOne(small, 0, "still waiting for its MX");
    for (let index = 1; index <= 60; index++) {
      const entry = await queueOne(small, index, "x".repeat(400));
      await small.remove(entry.id);
    }
    // 60 messages of 400 bytes filled several 4 KiB segments; only the newest few are left
    await waitFor(async () => (await journalFiles()).length <= 3, 5000, "old segments deleted");
    expect(small.segmentCount).toBeLessThanOrEqual(3);
    expect((await small.readMessage(waiting.id)).toString()).toBe("still waiting for its MX");
    await small.close();
    const later = reopen({ segmentBytes: 4096 });
    expect((await later.open()).map((entry) => entry.id)).toEqual([waiting.id]);
    expect((await later.readMessage(waiting.id)).toString()).toBe("still waiting for its MX");
    await later.close();
  });

  it("copies a mostly-alive old segment forward once it holds up empty ones, so they can go", async () => {
    // a large message still waiting for its MX keeps its segment more than half alive
    const holdUp = async (compactAfterMs: number) => {
      const small = reopen({ segmentBytes: 4096, compactAfterMs });
      await small.open();
      const waiting = await queueOne(small, 0, "w".repeat(3000));
      for (let index = 1; index <= 60; index++) {
        const entry = await queueOne(small, index, "x".repeat(400));
        await small.remove(entry.id);
      }
      await small.close();
      return { waiting, segments: (await journalFiles()).length };
    };
    const never = await holdUp(Number.POSITIVE_INFINITY);
    expect(never.segments).toBeGreaterThan(4); // the control: everything behind it stays
    await rm(queueDir(state.dir), { recursive: true });

    const atOnce = await holdUp(0);
    expect(atOnce.segments).toBeLessThanOrEqual(3);
    const later = reopen({ segmentBytes: 4096 });
    expect((await later.open()).map((entry) => entry.id)).toEqual([atOnce.waiting.id]);
    expect((await later.readMessage(atOnce.waiting.id)).toString()).toBe("w".repeat(3000));
    await later.close();
  });

  it("does not pile up segments over restarts", async () => {
    await queueOne(queue, 1);
    await queue.close();
    for (let restart = 0; restart < 5; restart++) {
      const restarted = reopen();
      await restarted.open();
      await restarted.close();
    }
    expect((await journalFiles()).length).toBeLessThanOrEqual(2);
    expect(await queueSize(state.dir)).toBe(1);
  });
});

describe("a disk that refuses a write halfway", () => {
  it("fails that message only, keeps every acknowledged one and goes on in a new segment", async () => {
    // a real process whose files may not grow past 8 KiB (RLIMIT_FSIZE): the third 3 KiB message is
    // cut short by the kernel (EFBIG), as a full disk would cut it
    const script = path.join(state.dir, "writer.mts");
    const queueModule = path.join(path.dirname(fileURLToPath(import.meta.url)), "queue.ts");
    await writeFile(
      script,
      `import { MailQueue } from ${JSON.stringify(queueModule)};
import { silentLogger } from ${JSON.stringify(path.join(path.dirname(queueModule), "../log.ts"))};
const queue = new MailQueue({ stateDir: ${JSON.stringify(state.dir)}, logger: silentLogger() });
await queue.open();
for (let index = 1; index <= 4; index++) {
  try {
    const entry = await queue.enqueue({ mailFrom: "", recipients: [{ address: "r" + index + "@remote.test" }] }, Buffer.alloc(3000, 48 + index));
    console.log("acknowledged " + entry.id + " " + index);
  } catch (error) {
    console.log("refused " + index + " " + error.code);
  }
}
await queue.close();
`,
    );
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        "bash",
        ["-c", `ulimit -f 8 && exec "${process.execPath}" --import tsx "${script}"`],
        {
          cwd: path.dirname(queueModule),
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.on("error", reject);
      child.on("exit", () => resolve(text));
    });
    expect(output).toContain("refused 3 EFBIG");
    const acknowledged = [...output.matchAll(/^acknowledged (\S+) (\d)$/gm)].map((match) => [
      match[1]!,
      match[2]!,
    ]);
    expect(acknowledged.map(([, index]) => index)).toEqual(["1", "2", "4"]);

    const reopened = reopen();
    const entries = await reopened.open();
    expect(entries.map((entry) => entry.id).sort()).toEqual(acknowledged.map(([id]) => id).sort());
    for (const [id, index] of acknowledged) {
      expect((await reopened.readMessage(id!)).equals(Buffer.alloc(3000, 48 + Number(index)))).toBe(true);
    }
    await reopened.close();
  });
});

describe("group commit", () => {
  it("writes concurrent messages with shared fdatasyncs", async () => {
    await queue.open();
    await Promise.all(Array.from({ length: 50 }, (_, index) => queueOne(queue, index)));
    expect(queue.journalStats.records).toBe(50);
    expect(queue.journalStats.commits).toBeLessThan(50);
    expect(await queueSize(state.dir)).toBe(50);
  });

  it("a caller arriving during an fsync waits for the next one", async () => {
    const sync = new DirectorySync();
    const order: string[] = [];
    const first = sync.sync(state.dir).then(() => order.push("first"));
    const second = sync.sync(state.dir).then(() => order.push("second"));
    const third = sync.sync(state.dir).then(() => order.push("third"));
    await Promise.all([first, second, third]);
    expect(order).toEqual(["first", "second", "third"]);
    // the second and third rode on one fsync that started after the first finished
    expect(sync.stats).toEqual({ requests: 3, fsyncs: 2 });
  });
});
