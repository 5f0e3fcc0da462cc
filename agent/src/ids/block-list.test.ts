// Blocks end on their own and survive a restart: AbuseDetection over a real state folder, with the
// times given explicitly (no sleeping through a block).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultPolicy, type Policy } from "@mailwarden/policy";
import { silentLogger } from "../log";
import { tempDir } from "../test-support/fixtures";
import { AbuseDetection } from "./abuse-detection";

const policy: Policy = {
  ...defaultPolicy,
  abuseBruteForce: { enabled: true, failures: 2, minutes: 10, blockMinutes: 1 },
  abuseInternalSpammer: { enabled: true, messages: 2, minutes: 10 },
};
const minute = 60_000;
const t0 = Date.now();

let state: Awaited<ReturnType<typeof tempDir>>;

beforeEach(async () => {
  state = await tempDir();
});

afterEach(async () => {
  await state.remove();
});

function open(current: Policy = policy) {
  return AbuseDetection.open({ stateDir: state.dir, logger: silentLogger(), policy: () => current });
}

describe("abuse blocks", () => {
  it("end on their own once the block time is over", async () => {
    const ids = await open();
    expect(ids.loginFailed("192.0.2.7", t0)).toBeNull();
    expect(ids.loginFailed("192.0.2.7", t0 + 1000)?.reply.code).toBe(421);
    expect(ids.admit("192.0.2.7", t0 + 30_000)?.reply.code).toBe(554);
    expect(ids.admit("192.0.2.7", t0 + 1000 + minute + 1)).toBeNull();
    expect(ids.list(t0 + 1000 + minute + 1)).toEqual([]);
    await ids.flush();
  });

  it("are read back from the state folder after a restart, and a lift is too", async () => {
    const first = await open();
    first.loginFailed("::ffff:192.0.2.8", t0);
    first.loginFailed("192.0.2.8", t0);
    first.messageAccepted("Mallory@example.test", t0);
    first.messageAccepted("mallory@example.test", t0);
    await first.flush();

    const second = await open();
    expect(second.admit("192.0.2.8", t0 + 1000)?.reply.code).toBe(554);
    expect(second.isHeld("mallory@example.test")).toBe(true);
    const suspension = second.list().find((block) => block.kind === "user")!;
    expect(second.lift(suspension.id)).toBe(true);
    await second.flush();

    const third = await open();
    expect(third.isHeld("mallory@example.test")).toBe(false);
    expect(third.sendingSuspension("mallory@example.test")).toBeNull();
  });

  it("put one block on an address whose sessions opened before it keep failing", async () => {
    const ids = await open();
    ids.loginFailed("192.0.2.10", t0);
    ids.loginFailed("192.0.2.10", t0);
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(ids.loginFailed("192.0.2.10", t0 + 1000)?.reply.code).toBe(421);
    }
    expect(ids.list(t0 + 1000)).toHaveLength(1);
    await ids.flush();
  });

  it("keep every block of a flood of addresses, saved in few writes", async () => {
    const flood = {
      ...policy,
      abuseDenialOfService: { enabled: true, connections: 1, minutes: 1, blockMinutes: 60 },
    };
    const ids = await open(flood);
    for (let host = 0; host < 2000; host++) {
      expect(ids.admit(`10.0.${host >> 8}.${host & 255}`, t0)?.reply.code).toBe(554);
    }
    await ids.flush();
    const reopened = await open(flood);
    expect(reopened.list(t0)).toHaveLength(2000);
    expect(reopened.admit("10.0.7.207", t0 + 1000)?.reply.code).toBe(554);
    await reopened.flush();
  });

  it("count only what falls within the window, and nothing when a rule is off", async () => {
    const ids = await open();
    ids.messageAccepted("slow@example.test", t0);
    ids.messageAccepted("slow@example.test", t0 + 11 * minute);
    expect(ids.isHeld("slow@example.test")).toBe(false);

    const off = await open({ ...policy, abuseBruteForce: { ...policy.abuseBruteForce, enabled: false } });
    for (let attempt = 0; attempt < 5; attempt++) expect(off.loginFailed("192.0.2.9", t0)).toBeNull();
    expect(off.admit("192.0.2.9", t0)).toBeNull();
    await Promise.all([ids.flush(), off.flush()]);
  });
});
