// The agent's one resolver against a real DNS server on loopback: answers and "no such name" are reused
// for the cache time instead of being asked again, concurrent identical lookups share one query, and a
// server that does not answer is asked again on the next lookup (an outage is never cached), and a lookup
// that gets no answer ends with ETIMEOUT when its own limit says, whatever c-ares would still wait.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TestDnsServer } from "../test-support/dns-zone";
import { createDnsResolver } from "./resolver";

let dns: TestDnsServer;

beforeAll(async () => {
  dns = await TestDnsServer.start();
  dns.txt("sender.test", "v=spf1 ip4:192.0.2.1 -all").mx("sender.test", "mx.sender.test");
});

afterAll(async () => {
  await dns?.close();
});

const queriesFor = (name: string) => dns.queries.filter((query) => query.name === name).length;

describe("DNS cache", () => {
  it("asks the server once for a repeated lookup and returns the same answer", async () => {
    const resolver = createDnsResolver({ servers: [dns.address] });
    const first = await resolver.resolveTxt("sender.test");
    const again = await resolver.resolve("SENDER.test", "TXT");
    expect(first).toEqual([["v=spf1 ip4:192.0.2.1 -all"]]);
    expect(again).toEqual(first);
    expect(queriesFor("sender.test")).toBe(1);
    // a caller changing its answer does not change what the next caller gets
    first[0]![0] = "tampered";
    expect(await resolver.resolveTxt("sender.test")).toEqual([["v=spf1 ip4:192.0.2.1 -all"]]);
  });

  it("shares one query between concurrent lookups of the same name", async () => {
    const resolver = createDnsResolver({ servers: [dns.address] });
    const answers = await Promise.all(Array.from({ length: 20 }, () => resolver.resolveMx("sender.test")));
    expect(answers.every((answer) => answer[0]?.exchange === "mx.sender.test")).toBe(true);
    expect(dns.queries.filter((query) => query.name === "sender.test" && query.type === "MX")).toHaveLength(
      1,
    );
  });

  it("remembers that a name does not exist", async () => {
    const resolver = createDnsResolver({ servers: [dns.address] });
    for (let i = 0; i < 3; i++) {
      await expect(resolver.resolveTxt("_dmarc.nowhere.test")).rejects.toMatchObject({ code: "ENOTFOUND" });
    }
    expect(queriesFor("_dmarc.nowhere.test")).toBe(1);
  });

  it("asks again after a timeout: an outage is not cached", async () => {
    const resolver = createDnsResolver({ servers: [dns.address], timeoutMs: 100, tries: 1 });
    dns.unanswered.add("down.test");
    await expect(resolver.resolveTxt("down.test")).rejects.toMatchObject({ code: "ETIMEOUT" });
    dns.unanswered.delete("down.test");
    dns.txt("down.test", "back");
    expect(await resolver.resolveTxt("down.test")).toEqual([["back"]]);
  });

  it("asks every time with cacheSeconds 0", async () => {
    const resolver = createDnsResolver({ servers: [dns.address], cacheSeconds: 0 });
    dns.txt("uncached.test", "v=1");
    await resolver.resolveTxt("uncached.test");
    await resolver.resolveTxt("uncached.test");
    expect(queriesFor("uncached.test")).toBe(2);
  });
});

describe("DNS time limit", () => {
  it("fails a lookup the server never answers with ETIMEOUT once timeoutMs passes, retry included", async () => {
    dns.unanswered.add("silent.test");
    // Only our timer is faked: c-ares keeps real time, and with a minute per lookup it would still wait.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const resolver = createDnsResolver({ servers: [dns.address], timeoutMs: 60_000 });
      const lookup = resolver.resolveTxt("silent.test");
      lookup.catch(() => undefined);
      let settled = false;
      void lookup.finally(() => (settled = true)).catch(() => undefined);
      await vi.advanceTimersByTimeAsync(59_000);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1_000);
      await expect(lookup).rejects.toMatchObject({ code: "ETIMEOUT" });
    } finally {
      vi.useRealTimers();
      dns.unanswered.delete("silent.test");
    }
  });
});
