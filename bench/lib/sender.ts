// The sending side of the benchmark: a sender domain with real SPF, DKIM and DMARC records served by
// dnsmasq on loopback, and DKIM-signed messages of a fixed size for smtp-source -F.
import { generateKeyPairSync } from "node:crypto";
import { promises as dns } from "node:dns";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
// mailauth is the agent's own dependency (hoisted to the root node_modules): the same library that
// verifies the signature signs it here.
import { dkimSign } from "mailauth/lib/dkim/sign.js";
import { startProcess, type Proc } from "./procs";

export const SENDER_DOMAIN = "sender.test";
export const SENDER = `bench@${SENDER_DOMAIN}`;
/** HELO name of smtp-source; forward and reverse DNS both point at 127.0.0.1. */
export const SENDER_HELO = `mta.${SENDER_DOMAIN}`;
export const DKIM_SELECTOR = "bench";
export const LOCAL_DOMAIN = "inbox.test";
export const RECIPIENT = `inbox@${LOCAL_DOMAIN}`;

export interface SenderKeys {
  privateKeyPem: string;
  /** Base64 DER SubjectPublicKeyInfo, the p= of the DKIM record. */
  publicKeyB64: string;
}

export function makeSenderKeys(): SenderKeys {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyB64: publicKey.export({ type: "spki", format: "der" }).toString("base64"),
  };
}

/** The TXT records of the sender domain, as published. */
export function senderRecords(keys: SenderKeys): { name: string; value: string }[] {
  return [
    { name: SENDER_DOMAIN, value: "v=spf1 ip4:127.0.0.1 -all" },
    { name: `${DKIM_SELECTOR}._domainkey.${SENDER_DOMAIN}`, value: `v=DKIM1; k=rsa; p=${keys.publicKeyB64}` },
    { name: `_dmarc.${SENDER_DOMAIN}`, value: "v=DMARC1; p=reject; adkim=s; aspf=s" },
  ];
}

/** dnsmasq wants TXT strings of at most 255 characters: "part1","part2". */
function txtStrings(value: string): string {
  const parts: string[] = [];
  for (let index = 0; index < value.length; index += 255) parts.push(value.slice(index, index + 255));
  return parts.map((part) => `"${part}"`).join(",");
}

export interface RunningDns {
  proc: Proc;
  port: number;
  server: string;
  /** Queries answered since dnsmasq started (its SIGUSR1 statistics). */
  queries(): Promise<number>;
}

export async function startDnsmasq(
  workDir: string,
  port: number,
  keys: SenderKeys,
  extraConf: string[] = [],
): Promise<RunningDns> {
  const conf = [
    `port=${port}`,
    "listen-address=127.0.0.1",
    "bind-interfaces",
    "no-resolv",
    "no-hosts",
    "no-poll",
    "pid-file=",
    "user=nobody",
    // Statistics (queries answered) go here on SIGUSR1: DNS queries per message.
    `log-facility=${path.join(workDir, "dnsmasq.log")}`,
    // Unknown names under these zones answer NXDOMAIN at once; nothing is forwarded anywhere.
    "local=/test/",
    "local=/arpa/",
    // the agent's default DNS blocklist (policy row 17): the sending host is not listed
    "local=/zen.spamhaus.org/",
    ...senderRecords(keys).map((record) => `txt-record=${record.name},${txtStrings(record.value)}`),
    `host-record=${SENDER_HELO},127.0.0.1`,
    `mx-host=${SENDER_DOMAIN},${SENDER_HELO},10`,
    `ptr-record=1.0.0.127.in-addr.arpa,${SENDER_HELO}`,
    `host-record=mx.${LOCAL_DOMAIN},127.0.0.1`,
    `mx-host=${LOCAL_DOMAIN},mx.${LOCAL_DOMAIN},10`,
    ...extraConf,
  ];
  const confFile = path.join(workDir, "dnsmasq.conf");
  await writeFile(confFile, conf.join("\n") + "\n");
  const logFile = path.join(workDir, "dnsmasq.log");
  const proc = startProcess(
    "dnsmasq",
    "/usr/sbin/dnsmasq",
    ["--keep-in-foreground", `--conf-file=${confFile}`],
    {
      logFile,
    },
  );
  const server = `127.0.0.1:${port}`;
  const resolver = new dns.Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([server]);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.done) throw new Error(`dnsmasq exited (${String(await proc.exited)}); see dnsmasq.log`);
    try {
      const dkim = await resolver.resolveTxt(`${DKIM_SELECTOR}._domainkey.${SENDER_DOMAIN}`);
      if (dkim[0]?.join("") !== senderRecords(keys)[1]!.value) throw new Error("DKIM record mangled");
      break;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`dnsmasq does not answer on ${server}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const answered = async () =>
    [...(await readFile(logFile, "utf8")).matchAll(/queries answered locally (\d+)/g)].map((match) =>
      Number(match[1]),
    );
  const queries = async () => {
    const before = (await answered()).length;
    process.kill(proc.pid, "SIGUSR1");
    for (let tries = 0; tries < 50; tries++) {
      const counts = await answered();
      if (counts.length > before) return counts[counts.length - 1]!;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error("dnsmasq wrote no statistics on SIGUSR1");
  };
  return { proc, port, server, queries };
}

const filler = "Mailwarden benchmark body: the quick brown fox jumps over the lazy dog 0123456789 abcdefghij";

/**
 * A DKIM-signed (rsa-sha256, relaxed/relaxed) message of `totalBytes` octets on the wire (CRLF, before
 * the receiver adds its trace headers). Returned with LF line ends: smtp-source -F appends CRLF.
 */
export async function signedMessage(totalBytes: number, keys: SenderKeys, label: string): Promise<string> {
  const headers = [
    `From: Mailwarden bench <${SENDER}>`,
    `To: <${RECIPIENT}>`,
    `Subject: Mailwarden bench ${label}`,
    `Date: ${new Date().toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <bench-${label.replace(/\W+/g, "")}-${Date.now()}@${SENDER_DOMAIN}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
  ].join("\r\n");
  const build = (bodyBytes: number) => {
    const lines: string[] = [];
    let size = 0;
    for (let line = 1; size < bodyBytes; line++) {
      let text = `${String(line).padStart(5, "0")} ${filler}`;
      // The last line takes exactly what is left (CRLF included).
      if (size + text.length + 2 > bodyBytes) text = text.slice(0, Math.max(1, bodyBytes - size - 2));
      lines.push(text);
      size += text.length + 2;
    }
    return `${headers}\r\n\r\n${lines.join("\r\n")}\r\n`;
  };
  const sign = async (message: string) => {
    // mailauth reads the keys from `signatureData` (its type definitions describe top-level fields, which
    // the signer ignores: it then returns no signature and no error).
    const options = {
      signatureData: [
        {
          signingDomain: SENDER_DOMAIN,
          selector: DKIM_SELECTOR,
          privateKey: keys.privateKeyPem,
          algorithm: "rsa-sha256",
          canonicalization: "relaxed/relaxed",
        },
      ],
    } as unknown as Parameters<typeof dkimSign>[1];
    const { signatures, errors } = await dkimSign(Buffer.from(message), options);
    if (errors?.length) throw new Error(`DKIM signing failed: ${JSON.stringify(errors)}`);
    if (!signatures.startsWith("DKIM-Signature:")) throw new Error("DKIM signing produced no signature");
    return signatures + message;
  };
  // Sign once to learn the signature's size, then build the body that makes the total come out right.
  const probe = await sign(build(100));
  const overhead = probe.length - 100;
  const signed = await sign(build(Math.max(10, totalBytes - overhead)));
  return signed.replace(/\r\n/g, "\n");
}
