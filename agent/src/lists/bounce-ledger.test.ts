// The list bounce count as a list admin notices it: one bounce a day counts once, a member is paused on
// the third day with a bounce, a week without bounces starts the count over, an admin's resume (the
// config's `resumes`) forgets the bounces before it, and the count survives a restart; members and
// lists gone from the config leave the ledger.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agentConfig } from "../test-support/fixtures";
import { compileConfig, findMailingList, type ActiveConfig } from "../smtp/active-config";
import { ListBounceLedger, standingOf } from "./bounce-ledger";

const DAY = 86_400_000;
const START = Date.parse("2026-11-02T09:00:00Z");
const bounce = { status: "5.1.1", diagnostic: "550 5.1.1 No such user", source: "delivery" as const };

function configWith(members: string[], resumes: { address: string; at: string }[] = []): ActiveConfig {
  const compiled = compileConfig(
    1,
    agentConfig([
      {
        name: "lists.test",
        mailingLists: [{ localPart: "team", name: "Team", posting: null, members, moderators: [], resumes }],
      },
    ]),
  );
  if (!compiled.ok) throw new Error(compiled.errors.join("; "));
  return compiled.active;
}

let dir: string;
let now: number;
let config: ActiveConfig;
const list = () => findMailingList(config, "team@lists.test")!;
const open = () =>
  ListBounceLedger.open({
    stateDir: dir,
    config: () => config,
    logger: pino({ level: "silent" }),
    now: () => now,
  });

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "mw-list-bounces-"));
  now = START;
  config = configWith(["gone@remote.test", "ok@remote.test"]);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("standingOf", () => {
  it("pauses on the third day with a bounce, restarts after a week without one, forgets what a resume covers", () => {
    expect(standingOf([START, START + DAY], 0, START + DAY)).toEqual({ bounceDays: 2, pausedAt: null });
    expect(standingOf([START, START + DAY, START + 2 * DAY], 0, START + 2 * DAY)).toEqual({
      bounceDays: 3,
      pausedAt: START + 2 * DAY,
    });
    // eight days of quiet between the second and third bounce: the count starts over
    expect(standingOf([START, START + DAY, START + 9 * DAY], 0, START + 9 * DAY)).toEqual({
      bounceDays: 1,
      pausedAt: null,
    });
    // quiet for more than a week now: nothing to report
    expect(standingOf([START, START + DAY], 0, START + 9 * DAY)).toEqual({ bounceDays: 0, pausedAt: null });
    // a pause stays however long ago it was, until a resume after it
    expect(standingOf([START, START + DAY, START + 2 * DAY], 0, START + 60 * DAY).pausedAt).toBe(
      START + 2 * DAY,
    );
    expect(standingOf([START, START + DAY, START + 2 * DAY], START + 3 * DAY, START + 3 * DAY)).toEqual({
      bounceDays: 0,
      pausedAt: null,
    });
  });
});

describe("ListBounceLedger", () => {
  it("counts one bounce per day, pauses on the third day, and tells its listeners once", async () => {
    const ledger = await open();
    let pauses = 0;
    ledger.onPause(() => (pauses += 1));
    await ledger.record(list(), "Gone@Remote.test", bounce);
    await ledger.record(list(), "gone@remote.test", {
      ...bounce,
      status: "5.2.1",
      diagnostic: "550 5.2.1 disabled\r\n  account",
    });
    expect(ledger.reports()).toEqual([
      {
        list: "team@lists.test",
        member: "gone@remote.test",
        bounceDays: 1,
        lastBounceAt: new Date(START).toISOString(),
        lastStatus: "5.2.1",
        lastDiagnostic: "550 5.2.1 disabled account",
        lastSource: "delivery",
        pausedAt: null,
      },
    ]);
    now += DAY;
    await ledger.record(list(), "gone@remote.test", bounce);
    expect(ledger.isPaused(list(), "gone@remote.test")).toBe(false);
    now += DAY;
    await ledger.record(list(), "gone@remote.test", { ...bounce, source: "dsn" });
    expect(ledger.isPaused(list(), "GONE@remote.test")).toBe(true);
    expect(ledger.isPaused(list(), "ok@remote.test")).toBe(false);
    expect(ledger.reports()[0]).toMatchObject({
      bounceDays: 3,
      lastSource: "dsn",
      pausedAt: new Date(now).toISOString(),
    });
    await ledger.record(list(), "gone@remote.test", bounce);
    expect(pauses).toBe(1);
  });

  it("does not count addresses that are not members", async () => {
    const ledger = await open();
    expect(await ledger.record(list(), "stranger@remote.test", bounce)).toBe(false);
    expect(ledger.reports()).toEqual([]);
  });

  it("keeps the count across a restart, and an admin's resume lifts the pause", async () => {
    const first = await open();
    for (let day = 0; day < 3; day++, now += DAY) await first.record(list(), "gone@remote.test", bounce);
    await first.flush();

    const second = await open();
    expect(second.isPaused(list(), "gone@remote.test")).toBe(true);
    config = configWith(
      ["gone@remote.test", "ok@remote.test"],
      [{ address: "Gone@remote.test", at: new Date(now).toISOString() }],
    );
    expect(second.isPaused(list(), "gone@remote.test")).toBe(false);
    expect(second.reports()).toEqual([]);
    // counting starts afresh after the resume
    now += DAY;
    await second.record(list(), "gone@remote.test", bounce);
    expect(second.reports()[0]).toMatchObject({ bounceDays: 1, pausedAt: null });
  });

  it("drops members and lists no longer in the config from the file at the next write", async () => {
    const ledger = await open();
    await ledger.record(list(), "gone@remote.test", bounce);
    config = configWith(["ok@remote.test"]);
    expect(ledger.reports()).toEqual([]);
    await ledger.record(list(), "ok@remote.test", bounce);
    const saved = JSON.parse(await readFile(path.join(dir, "list-bounces.json"), "utf8")) as Record<
      string,
      object
    >;
    expect(Object.keys(saved["team@lists.test"]!)).toEqual(["ok@remote.test"]);
  });

  it("starts afresh, pausing nobody, when the file is damaged", async () => {
    await writeFile(path.join(dir, "list-bounces.json"), "{not json");
    const ledger = await open();
    expect(ledger.isPaused(list(), "gone@remote.test")).toBe(false);
    await ledger.record(list(), "gone@remote.test", bounce);
    expect(ledger.reports()).toHaveLength(1);
  });
});
