// mailauth in worker threads: a DKIM-signed message from a domain whose SPF, DKIM key and DMARC record
// come from a loopback DNS server passes all three, with every lookup answered by the main thread's
// resolver (a worker keeps an answer exactly as long as that resolver's cache does); a tampered copy
// fails DKIM; many messages at once are all answered; a closed pool refuses.
import { generateKeyPairSync } from "node:crypto";
import { dkimSign, type DKIMSignOptions } from "mailauth";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDnsResolver, type DnsResolver } from "../dns/resolver";
import { TestDnsServer } from "../test-support/dns-zone";
import { AuthenticationPool } from "./authentication-pool";
import { AUTHENTICATION_DNS_DEADLINE_MS, type AuthenticationRequest } from "./message-authentication";

const key = generateKeyPairSync("rsa", { modulusLength: 2048 });
let dns: TestDnsServer;
let pool: AuthenticationPool;
const lookups: string[] = [];
let signed: Buffer;

beforeAll(async () => {
  dns = await TestDnsServer.start();
  dns
    .txt("sender.test", "v=spf1 ip4:127.0.0.1 -all")
    .txt("_dmarc.sender.test", "v=DMARC1; p=reject; adkim=s; aspf=s")
    .txt(
      "s1._domainkey.sender.test",
      `v=DKIM1; k=rsa; p=${key.publicKey.export({ type: "spki", format: "der" }).toString("base64")}`,
    );
  const shared = createDnsResolver({ servers: [dns.address] });
  const resolver: DnsResolver = {
    ...shared,
    resolve: (name, rrtype) => {
      lookups.push(`${rrtype} ${name}`);
      return shared.resolve(name, rrtype);
    },
  };
  pool = new AuthenticationPool({ size: 2, resolver, logger: pino({ level: "silent" }) });
  const raw = Buffer.from(
    "From: news@sender.test\r\nTo: ann@inbox.test\r\nSubject: pooled\r\nMessage-ID: <p1@sender.test>\r\n\r\nHello from a thread.\r\n",
  );
  // mailauth 7.1's typings want top-level options; dkimSign reads only signatureData (bench/RESULTS.md)
  const result = await dkimSign(raw, {
    signatureData: [
      {
        signingDomain: "sender.test",
        selector: "s1",
        privateKey: key.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
      },
    ],
  } as unknown as DKIMSignOptions);
  signed = Buffer.concat([Buffer.from(result.signatures), raw]);
});

afterAll(async () => {
  await pool?.close();
  await dns?.close();
});

const request = (message: Buffer, dnsDeadline = Date.now() + AUTHENTICATION_DNS_DEADLINE_MS) =>
  ({
    message,
    ip: "127.0.0.1",
    helo: "mail.sender.test",
    sender: "news@sender.test",
    hostname: "mx.inbox.test",
    verifyArc: true,
    dnsDeadline,
  }) satisfies AuthenticationRequest;

describe("AuthenticationPool", () => {
  it("verifies SPF, DKIM and DMARC in a worker thread, asking the main thread's resolver", async () => {
    const result = await pool.authenticate(request(signed));
    expect(result.spf && result.spf.status.result).toBe("pass");
    expect(result.dkim.results.map((signature) => signature.status.result)).toEqual(["pass"]);
    expect(result.dmarc && result.dmarc.status.result).toBe("pass");
    expect(result.headers).toMatch(/^Authentication-Results: mx\.inbox\.test;/m);
    expect(lookups).toEqual(
      expect.arrayContaining(["TXT sender.test", "TXT s1._domainkey.sender.test", "TXT _dmarc.sender.test"]),
    );
  });

  it("fails DKIM on a copy changed after signing", async () => {
    const tampered = Buffer.from(signed.toString().replace("Hello", "Pay me"));
    const result = await pool.authenticate(request(tampered));
    // strict mode's word for a body changed after signing (RFC 6376 §6.1.3): fail
    expect(result.dkim.results[0]?.status.result).toBe("fail");
    expect(result.headers).toMatch(/dkim=fail \(body hash did not verify\)/);
  });

  it("answers every one of many messages checked at once", async () => {
    const results = await Promise.all(Array.from({ length: 40 }, () => pool.authenticate(request(signed))));
    expect(results.every((result) => result.dkim.results[0]?.status.result === "pass")).toBe(true);
  });

  it("reuses an answer in the worker for as long as the main cache keeps it, and no longer", async () => {
    const asked: string[] = [];
    const counting = (cacheSeconds: number): DnsResolver => {
      const shared = createDnsResolver({ servers: [dns.address], cacheSeconds });
      return {
        ...shared,
        resolve: (name, rrtype) => {
          asked.push(`${rrtype} ${name}`);
          return shared.resolve(name, rrtype);
        },
      };
    };
    const cached = new AuthenticationPool({
      size: 1,
      resolver: counting(1),
      logger: pino({ level: "silent" }),
    });
    const uncached = new AuthenticationPool({
      size: 1,
      resolver: counting(0),
      logger: pino({ level: "silent" }),
    });
    // The cache's clock is the main thread's Date, faked here (sockets and threads keep real time): the
    // TTL runs out when the test says, not when a busy machine happens to take a second.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      await cached.authenticate(request(signed));
      const first = asked.length;
      expect(first).toBeGreaterThanOrEqual(3);
      vi.setSystemTime(Date.now() + 900); // still within the 1 s the main cache keeps them
      const again = await cached.authenticate(request(signed));
      expect(again.dmarc && again.dmarc.status.result).toBe("pass");
      expect(asked.length).toBe(first); // the sender's SPF, DKIM and DMARC records: no round trip
      vi.setSystemTime(Date.now() + 200); // the main cache dropped them, and so does the worker
      await cached.authenticate(request(signed));
      expect(asked.length).toBe(2 * first);

      asked.length = 0;
      await uncached.authenticate(request(signed));
      await uncached.authenticate(request(signed));
      expect(asked.length).toBe(2 * first); // with the cache off, every message asks
    } finally {
      vi.useRealTimers();
      await cached.close();
      await uncached.close();
    }
  });

  it("ends each check in temperror when the main thread's DNS answers miss the message's deadline", async () => {
    const hanging = new AuthenticationPool({
      size: 1,
      // a lookup that never ends, as with a DNS server that swallows queries
      resolver: { ...createDnsResolver(), resolve: () => new Promise(() => undefined) },
      logger: pino({ level: "silent" }),
    });
    try {
      const result = await hanging.authenticate(request(signed, Date.now() + 300));
      expect(result.spf && result.spf.status.result).toBe("temperror");
      expect(result.dkim.results.map((signature) => signature.status.result)).toEqual(["temperror"]);
      expect(result.dmarc && result.dmarc.status.result).toBe("temperror");
    } finally {
      await hanging.close();
    }
  });

  it("refuses work once closed", async () => {
    const closing = new AuthenticationPool({
      size: 1,
      resolver: createDnsResolver({ servers: [dns.address] }),
      logger: pino({ level: "silent" }),
    });
    await closing.close();
    await expect(closing.authenticate(request(signed))).rejects.toThrow(/closed/);
  });
});
