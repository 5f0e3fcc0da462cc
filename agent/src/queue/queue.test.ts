// The queue on disk: what a crash can leave behind and what the agent makes of it at start, and group
// commit sharing folder fsyncs between concurrent writers without letting anyone resolve early.
import { readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../log";
import { tempDir } from "../test-support/fixtures";
import { DirectorySync } from "./durable-files";
import { MailQueue, queueDir, queueSize } from "./queue";

let state: Awaited<ReturnType<typeof tempDir>>;
let queue: MailQueue;

beforeEach(async () => {
  state = await tempDir("mw-queue-");
  queue = new MailQueue({ stateDir: state.dir, logger: silentLogger() });
});

afterEach(async () => {
  await state.remove();
});

describe("the queue on disk", () => {
  it("writes the message and its metadata (0600) before enqueue resolves, and tells its listener", async () => {
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
    const dir = queueDir(state.dir);
    expect(await readdir(dir)).toEqual([`${entry.id}.msg`]);
    expect((await stat(path.join(dir, `${entry.id}.msg`))).mode & 0o777).toBe(0o600);
    const stored = await readFile(path.join(dir, `${entry.id}.msg`), "utf8");
    const newline = stored.indexOf("\n");
    expect(stored.slice(newline + 1)).toBe("Subject: hi\r\n\r\nbody\r\n");
    expect((await queue.readMessage(entry.id)).toString()).toBe("Subject: hi\r\n\r\nbody\r\n");
    const metadata = JSON.parse(stored.slice(0, newline));
    expect(metadata).toMatchObject({
      id: entry.id,
      mailFrom: "alice@example.test",
      spf: "pass",
      recipients: [
        { address: "bob@example.test", state: "pending", attempts: 0, prepend: "X: 1\r\n" },
        { address: "partner@remote.test", state: "pending", attempts: 0, prepend: "" },
      ],
    });
    expect(await queueSize(state.dir)).toBe(1);
  });

  it("at start, keeps complete entries and clears temp files and half-written or half-removed ones", async () => {
    const kept = await queue.enqueue(
      { mailFrom: "", recipients: [{ address: "a@remote.test" }] },
      Buffer.from("x"),
    );
    const dir = queueDir(state.dir);
    const leftover = path.join(dir, `.${kept.id}.msg.123.abcd.tmp`);
    await writeFile(leftover, "{half");
    const beforeThisProcess = new Date(performance.timeOrigin - 60_000);
    await utimes(leftover, beforeThisProcess, beforeThisProcess);
    // a temp file written since this process started is a message being accepted right now
    const inFlight = path.join(dir, `.${kept.id}X.msg.456.ef01.tmp`);
    await writeFile(inFlight, "{in flight");
    await writeFile(path.join(dir, "BBBB.json"), "{}"); // state of an entry whose .msg was already removed
    await writeFile(path.join(dir, "CCCC.msg"), "not json\nsomeone's mail");

    const reopened = new MailQueue({ stateDir: state.dir, logger: silentLogger() });
    const entries = await reopened.open();
    expect(entries.map((entry) => entry.id)).toEqual([kept.id]);
    // unreadable metadata is set aside with its message, never deleted
    expect((await readdir(dir)).sort()).toEqual(
      [`${kept.id}.msg`, "CCCC.msg.corrupt", path.basename(inFlight)].sort(),
    );
    expect(await queueSize(state.dir)).toBe(1);
  });

  it("saves metadata atomically and removes an entry completely", async () => {
    const entry = await queue.enqueue(
      { mailFrom: "a@b.test", recipients: [{ address: "c@d.test" }] },
      Buffer.from("m"),
    );
    entry.recipients[0]!.attempts = 3;
    entry.recipients[0]!.lastError = "451 4.4.1 later";
    await queue.save(entry);
    expect((await readdir(queueDir(state.dir))).sort()).toEqual([`${entry.id}.json`, `${entry.id}.msg`]);
    const [reloaded] = await new MailQueue({ stateDir: state.dir, logger: silentLogger() }).open();
    expect(reloaded?.recipients[0]).toMatchObject({ attempts: 3, lastError: "451 4.4.1 later" });
    expect((await queue.readMessage(entry.id)).toString()).toBe("m");
    await queue.remove(entry.id);
    expect(await readdir(queueDir(state.dir))).toEqual([]);
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

describe("group commit", () => {
  it("shares folder fsyncs between concurrent writers, and each resolves only after an fsync it did not precede", async () => {
    const sync = new DirectorySync();
    const shared = new MailQueue({ stateDir: state.dir, logger: silentLogger(), sync });
    await shared.open();
    const before = { ...sync.stats };
    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        shared.enqueue(
          { mailFrom: "", recipients: [{ address: `r${index}@remote.test` }] },
          Buffer.from(`m${index}`),
        ),
      ),
    );
    const requests = sync.stats.requests - before.requests;
    const fsyncs = sync.stats.fsyncs - before.fsyncs;
    expect(requests).toBe(50);
    expect(fsyncs).toBeLessThan(requests);
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
