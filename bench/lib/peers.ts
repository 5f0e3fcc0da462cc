// The SMTP servers under load: postfix's smtp-sink (the machine's speed limit), Haraka with an
// accept-all / discard plugin (the Node peer), a private Postfix instance with its queue and Maildir
// delivery (the server providers run) and the Mailwarden agent itself, started through its CLI exactly
// as `mailwarden-agent run` runs in production.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, chown, copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import argon2 from "argon2";
import { defaultPolicy } from "@mailwarden/policy";
import { agentConfigSchema, type AgentConfig } from "@mailwarden/protocol";
import { parseAgentSettings } from "../../agent/src/settings/agent-settings";
import { cpuSeconds, treeCpuSeconds } from "./cpu";
import { freePort, startProcess, stopProcess, waitForGreeting, type Proc } from "./procs";
import { LOCAL_DOMAIN, RECIPIENT } from "./sender";

export const repoRoot = path.resolve(import.meta.dirname, "../..");

export interface Peer {
  name: string;
  port: number;
  proc: Proc;
  /** Messages stored since the last markStore (null: this peer keeps nothing to count). */
  stored(): Promise<number | null>;
  /**
   * Counts from here on, between loads. What was stored stays: deleting thousands of files right
   * before a run made the next run's file creations slower on ext4 (about 1 ms of kernel time each,
   * against a few µs once past the freed inodes), which no mail server sees in service.
   */
  markStore(): Promise<void>;
  stop(): Promise<void>;
  /**
   * The server is `proc` and the processes it forks (Postfix: master, smtpd, cleanup, qmgr, virtual…):
   * its CPU is that of the whole tree, and its memory the proportional set of all of them.
   */
  isProcessTree?: boolean;
}

/** CPU seconds a peer has used so far (every process of a process tree), and the pids counted. */
export async function peerCpu(peer: Peer): Promise<{ seconds: number; pids: number[] }> {
  if (peer.isProcessTree) return treeCpuSeconds(peer.proc.pid);
  return { seconds: await cpuSeconds(peer.proc.pid), pids: [peer.proc.pid] };
}

export async function startSmtpSink(workDir: string): Promise<Peer> {
  const port = await freePort();
  // -u: smtp-sink refuses to run as root without dropping privileges after bind.
  const args = [...(process.getuid?.() === 0 ? ["-u", "nobody"] : []), `127.0.0.1:${port}`, "1024"];
  const proc = startProcess("smtp-sink", "/usr/sbin/smtp-sink", args, {
    logFile: path.join(workDir, "smtp-sink.log"),
  });
  await waitForGreeting(port, "smtp-sink", proc);
  return discardingPeer("smtp-sink", port, proc);
}

/** The name of the Haraka peer doing comparable work (startHaraka's `checks`). */
export const HARAKA_CHECKS = "Haraka, SPF + DKIM + disk";

/** Haraka as in item 9 (discard), or doing comparable work (`checks`: see startHaraka). */
export interface HarakaOptions {
  /**
   * The bench DNS server: Haraka then also runs its own SPF and DKIM plugins against it (no DMARC: Haraka
   * ships no DMARC plugin) and writes each message durably into a Maildir (tmp/, fsync, rename into new/)
   * before its 250, instead of discarding it.
   */
  checks?: { dnsServer: string };
}

export async function startHaraka(workDir: string, options: HarakaOptions = {}): Promise<Peer> {
  const port = await freePort();
  const name = options.checks ? HARAKA_CHECKS : "Haraka";
  const dir = path.join(workDir, options.checks ? "haraka-checks" : "haraka");
  const haraka = path.join(repoRoot, "bench/peers/node_modules/Haraka/bin/haraka");
  // Haraka's own `haraka -i` lays out a server directory with its default config files.
  execFileSync(process.execPath, [haraka, "-i", dir], { stdio: "ignore" });
  await mkdir(path.join(dir, "plugins"), { recursive: true });
  const plugins = options.checks
    ? ["bench_dns", "spf", "dkim", "bench_maildir", "bench_accept"]
    : ["bench_accept"];
  for (const plugin of plugins.filter((each) => each.startsWith("bench_"))) {
    await copyFile(path.join(repoRoot, `bench/haraka/${plugin}.js`), path.join(dir, `plugins/${plugin}.js`));
  }
  // nodes=0: one process, no cluster master, like the agent. Everything else is Haraka's default.
  await writeFile(path.join(dir, "config/smtp.ini"), `listen=127.0.0.1:${port}\nnodes=0\n`);
  await writeFile(path.join(dir, "config/plugins"), `${plugins.join("\n")}\n`);
  await writeFile(path.join(dir, "config/me"), "mx.haraka.test\n");
  const maildir = path.join(dir, "Maildir");
  const proc = startProcess("haraka", process.execPath, [haraka, "-c", dir], {
    logFile: path.join(workDir, options.checks ? "haraka-checks.log" : "haraka.log"),
    env: options.checks
      ? { ...process.env, BENCH_DNS_SERVER: options.checks.dnsServer, BENCH_MAILDIR: maildir }
      : process.env,
  });
  await waitForGreeting(port, name, proc);
  if (!options.checks) {
    return discardingPeer(name, port, proc);
  }
  return { name, port, proc, ...maildirCounter(maildir), stop: async () => void (await stopProcess(proc)) };
}

/** The name of the Postfix peer (startPostfix). */
export const POSTFIX = "Postfix, queue + Maildir";

/**
 * Debian's Postfix as a provider runs it for a hosted domain, as a private instance under `workDir`: its
 * own main.cf/master.cf, queue and data directories, smtpd on loopback, virtual mailbox delivery of the
 * bench domain to a Maildir, no checks, and the limits that would throttle 200 sessions from one address
 * raised. Its queue keeps Postfix's default durability (cleanup fsyncs the queue file before the 250;
 * virtual fsyncs the Maildir file before renaming it into new/). Needs root: master starts as root and
 * its daemons drop to the postfix user, as the system's would.
 */
export async function startPostfix(workDir: string): Promise<Peer> {
  if (process.getuid?.() !== 0) throw new Error(`${POSTFIX} needs root (Postfix's master starts as root)`);
  const port = await freePort();
  const dir = path.join(workDir, "postfix");
  const config = path.join(dir, "config");
  const queue = path.join(dir, "queue");
  const mail = path.join(dir, "mail");
  // The daemons (user postfix) and the mailbox owner (nobody) must reach their folders under the work
  // directory, which mkdtemp made 0700: let them through it, without letting them list it.
  await chmod(workDir, 0o711);
  for (const each of [config, queue, mail]) await mkdir(each, { recursive: true });
  const nobody = {
    uid: Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" })),
    gid: Number(execFileSync("id", ["-g", "nobody"], { encoding: "utf8" })),
  };
  await chown(mail, nobody.uid, nobody.gid);
  const daemons = execFileSync("/usr/sbin/postconf", ["-d", "-h", "daemon_directory"], {
    encoding: "utf8",
  }).trim();

  const mainCf = {
    compatibility_level: "3.6",
    config_directory: config,
    queue_directory: queue,
    data_directory: path.join(dir, "data"),
    mail_owner: "postfix",
    myhostname: "mx.postfix.test",
    mydomain: "postfix.test",
    myorigin: "$myhostname",
    // Not a local mail system: the bench domain is a hosted (virtual) domain, as at a provider.
    mydestination: "",
    alias_maps: "",
    alias_database: "",
    local_recipient_maps: "",
    biff: "no",
    inet_interfaces: "127.0.0.1",
    inet_protocols: "ipv4",
    mynetworks: "127.0.0.0/8",
    // Nothing leaves the machine: mail for any other domain fails here instead of going out.
    default_transport: "error:the bench Postfix delivers only to its own domain",
    relay_transport: "error:the bench Postfix delivers only to its own domain",
    smtp_dns_support_level: "disabled",
    virtual_mailbox_domains: LOCAL_DOMAIN,
    virtual_mailbox_base: mail,
    // texthash: read as text at start-up, no postmap step. A trailing slash means Maildir.
    virtual_mailbox_maps: `texthash:${path.join(config, "virtual-mailboxes")}`,
    virtual_uid_maps: `static:${nobody.uid}`,
    virtual_gid_maps: `static:${nobody.gid}`,
    // No reverse DNS lookup of the client, no checks beyond Postfix's own recipient lookup.
    smtpd_peername_lookup: "no",
    smtpd_banner: "$myhostname ESMTP",
    // Greeting and rate limits out of the way: 200 sessions from 127.0.0.1, one smtpd process each.
    default_process_limit: "500",
    smtpd_client_connection_count_limit: "1000",
    smtpd_client_connection_rate_limit: "0",
    smtpd_client_message_rate_limit: "0",
    // Postfix's inflow control: smtpd pauses up to 1 s before a message while the queue manager is
    // behind. The agent has no such brake, so neither does its peer.
    in_flow_delay: "0",
    // Logged to a file by postlogd (part of the instance and of its CPU), as the agent logs to a file.
    maillog_file: path.join(dir, "maillog"),
    maillog_file_prefixes: dir,
  };
  await writeFile(
    path.join(config, "main.cf"),
    Object.entries(mainCf)
      .map(([name, value]) => `${name} = ${value}`.trimEnd() + "\n")
      .join(""),
  );
  // Debian's master.cf without chroot (the instance's paths are not inside a chroot), postscreen or the
  // example pipe transports; smtpd listens on the bench's port.
  const services = [
    `127.0.0.1:${port} inet n - n - - smtpd`,
    "pickup unix n - n 60 1 pickup",
    "cleanup unix n - n - 0 cleanup",
    "qmgr unix n - n 300 1 qmgr",
    "rewrite unix - - n - - trivial-rewrite",
    "bounce unix - - n - 0 bounce",
    "defer unix - - n - 0 bounce",
    "trace unix - - n - 0 bounce",
    "verify unix - - n - 1 verify",
    "flush unix n - n 1000? 0 flush",
    "proxymap unix - - n - - proxymap",
    "smtp unix - - n - - smtp",
    "relay unix - - n - - smtp",
    "showq unix n - n - - showq",
    "error unix - - n - - error",
    "retry unix - - n - - error",
    "discard unix - - n - - discard",
    "local unix - n n - - local",
    "virtual unix - n n - - virtual",
    "anvil unix - - n - 1 anvil",
    "scache unix - - n - 1 scache",
    "postlog unix-dgram n - n - 1 postlogd",
  ];
  await writeFile(path.join(config, "master.cf"), services.map((line) => `${line}\n`).join(""));
  await writeFile(path.join(config, "virtual-mailboxes"), `${RECIPIENT} ${LOCAL_DOMAIN}/inbox/\n`);
  // `postfix check` creates the queue and data directories with Postfix's owners and modes
  // (post-install create-missing) and checks the configuration.
  execFileSync("/usr/sbin/postfix", ["-c", config, "check"], { stdio: ["ignore", "ignore", "pipe"] });
  // master in the foreground (no -w, no -d): our child, in a session of its own with every daemon it
  // forks; on SIGTERM it stops them all and exits.
  const proc = startProcess("postfix master", path.join(daemons, "master"), ["-c", config], {
    logFile: path.join(dir, "master.out"),
  });
  await waitForGreeting(port, POSTFIX, proc);
  return {
    name: POSTFIX,
    port,
    proc,
    isProcessTree: true,
    ...maildirCounter(mail),
    stop: async () => {
      await stopProcess(proc, 10_000);
      await waitGroupGone(proc.pid);
    },
  };
}

/** After Postfix's master exits: waits for its daemons (its process group) to go, then kills any left. */
async function waitGroupGone(groupId: number, graceMs = 5000): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if ((await groupMembers(groupId)).length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  try {
    process.kill(-groupId, "SIGKILL");
  } catch {
    // gone meanwhile
  }
}

async function groupMembers(groupId: number): Promise<number[]> {
  const members: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // A zombie is already gone; it only waits for its new parent to reap it.
      if (Number(fields[2]) === groupId && fields[0] !== "Z") members.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

/** A Peer for a server that keeps nothing to count (smtp-sink, Haraka discarding, the floor servers). */
export function discardingPeer(name: string, port: number, proc: Proc): Peer {
  return {
    name,
    port,
    proc,
    stored: async () => null,
    markStore: async () => undefined,
    stop: async () => void (await stopProcess(proc)),
  };
}

/** A Peer's stored/markStore for a server that writes Maildir files under `root`. */
function maildirCounter(root: string): Pick<Peer, "stored" | "markStore"> {
  let before = 0;
  return {
    stored: async () => (await countDelivered(root)) - before,
    markStore: async () => {
      before = await countDelivered(root);
    },
  };
}

export interface AgentSetup {
  settingsPath: string;
  stateDir: string;
  /** Optional settings the agent under test did not accept (older or newer tree). */
  droppedSettings: string[];
}

/**
 * A settings file (loopback listeners, the bench DNS server, connection caps above the load) and an
 * applied config (<stateDir>/config.json, as if the hub had pushed it): the default — locked-down —
 * policy, one local domain with one mailbox.
 */
export async function prepareAgent(
  workDir: string,
  port: number,
  dnsServer: string,
  /** Extra agent settings for a variant (explore.ts), e.g. { authThreads: 0 }. */
  extraSettings: Record<string, unknown> = {},
  /** Server policy fields for a variant, e.g. the mail log off (row 23). */
  serverPolicy: Record<string, unknown> = {},
): Promise<AgentSetup> {
  const stateDir = path.join(workDir, "agent-state");
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const loopback = { port: 0, host: "127.0.0.1" };
  const base = {
    stateDir,
    hostname: `mx.${LOCAL_DOMAIN}`,
    listeners: {
      inbound: { port, host: "127.0.0.1" },
      submission: loopback,
      submissionTls: loopback,
    } as Record<string, { port: number; host: string }>,
    dnsServers: [dnsServer],
    shutdownGraceMs: 5000,
    ...extraSettings,
  };
  // Settings that only some versions of the agent know. POP3 listeners must be pinned to loopback when
  // the agent has them (their defaults are 0.0.0.0:110/995); the per-address connection cap (default 50,
  // like Postfix) is raised above the 200 sessions of the new-connection load, all from 127.0.0.1.
  const optional: Record<string, (settings: typeof base & Record<string, unknown>) => void> = {
    "listeners.pop3/pop3s": (settings) => {
      settings.listeners.pop3 = loopback;
      settings.listeners.pop3s = loopback;
    },
    // agents before policy row 15 had these caps as settings (newer ones ignore them, with a warning)
    ...(!("connectionLimits" in defaultPolicy) && {
      "smtp.maxClientsPerAddress=1000, smtp.maxClients=1000": (
        settings: typeof base & Record<string, unknown>,
      ) => {
        settings.smtp = { maxClientsPerAddress: 1000, maxClients: 1000 };
      },
    }),
  };
  const names = Object.keys(optional);
  let chosen: (typeof base & Record<string, unknown>) | undefined;
  let dropped: string[] = [];
  // Largest accepted subset of the optional settings (2^n tries, n = 2).
  for (let mask = (1 << names.length) - 1; mask >= 0 && !chosen; mask--) {
    const candidate = structuredClone(base) as typeof base & Record<string, unknown>;
    names.forEach((name, index) => {
      if (mask & (1 << index)) optional[name]!(candidate);
    });
    try {
      parseAgentSettings(candidate);
      chosen = candidate;
      dropped = names.filter((_, index) => !(mask & (1 << index)));
    } catch {
      // try a smaller set
    }
  }
  if (!chosen) throw new Error("the agent refuses even the minimal bench settings");
  const settingsPath = path.join(workDir, "agent.json");
  await writeFile(settingsPath, JSON.stringify(chosen, null, 2) + "\n");

  const passwordHash = await argon2.hash(randomBytes(16).toString("hex"), { type: argon2.argon2id });
  const config: AgentConfig = agentConfigSchema.parse({
    // The default policy, except that every session of the bench comes from 127.0.0.1: the
    // per-address caps (row 15, in the policy since it is per server) are raised above the 200 sessions
    // of the new-connection load, as the per-address settings of older agents are above.
    server: { ...defaultPolicy, ...benchConnectionLimits(defaultPolicy), ...serverPolicy },
    domains: [
      {
        name: LOCAL_DOMAIN,
        policy: defaultPolicy,
        mailboxes: [{ localPart: RECIPIENT.split("@")[0], passwordHash }],
      },
    ],
  });
  await writeFile(
    path.join(stateDir, "config.json"),
    JSON.stringify({ revision: 1, appliedAt: new Date().toISOString(), config }, null, 2) + "\n",
    { mode: 0o600 },
  );
  return { settingsPath, stateDir, droppedSettings: dropped };
}

function benchConnectionLimits(policy: Record<string, unknown>): Record<string, unknown> {
  if (!("connectionLimits" in policy)) return {};
  return { connectionLimits: { maxConcurrent: 1000, maxPerIp: 1000, maxNewPerIpPerMinute: 1_000_000 } };
}

export async function startAgentPeer(
  workDir: string,
  setup: AgentSetup,
  port: number,
  options: { name?: string; nodeArgs?: string[]; logName?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Peer> {
  const proc = startProcess(
    options.name ?? "agent",
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      path.join(repoRoot, "agent/bin/mailwarden-agent.mjs"),
      "run",
      "--config",
      setup.settingsPath,
    ],
    {
      logFile: path.join(workDir, options.logName ?? "agent.log"),
      cwd: repoRoot,
      env: { ...process.env, ...options.env },
    },
  );
  await waitForGreeting(port, "the agent", proc, 60_000);
  return {
    name: options.name ?? "agent",
    port,
    proc,
    ...maildirCounter(path.join(setup.stateDir, "mail")),
    stop: async () => {
      const code = await stopProcess(proc, 20_000);
      if (code !== 0) throw new Error(`the agent exited with ${String(code)} on SIGTERM`);
    },
  };
}

/** Message files in every Maildir new/ and cur/ under `root` (inbox and Maildir++ folders such as Junk). */
export async function storedFiles(root: string, folders = ["new", "cur"]): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true, recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.isFile() && folders.includes(path.basename(entry.parentPath)))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

export async function countDelivered(root: string): Promise<number> {
  return (await storedFiles(root)).length;
}

/** Paths of delivered messages (for checking one message's trace headers). */
export function deliveredFiles(root: string): Promise<string[]> {
  return storedFiles(root, ["new"]);
}
