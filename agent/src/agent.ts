// Wires one agent together: settings → last applied config (or locked-down defaults) → certificate →
// mail log spool → mail server → hub client. Config pushes from the hub and from embedders go through the
// same applyConfig, which validates, swaps the mail server's snapshot and persists, or changes nothing.
import type { Logger } from "pino";
import type { Posture } from "@mailwarden/protocol";
import { DkimKeyStore } from "./dkim/dkim-keys";
import { signingDomains } from "./dkim/dkim-sign";
import { availableParallelism } from "node:os";
import { AuthenticationPool } from "./auth/authentication-pool";
import { installFastLineEndings } from "./auth/mailauth-line-endings";
import { DeliveryWorker } from "./delivery/delivery-worker";
import { createDnsResolver } from "./dns/resolver";
import { AbuseDetection } from "./ids/abuse-detection";
import { HubClient, type ApplyResult } from "./hub/hub-client";
import { ListBounceLedger } from "./lists/bounce-ledger";
import { isAbuseCommand, listAbuseBlocks, runAbuseCommand } from "./hub/abuse-commands";
import { runQueueCommand } from "./hub/queue-commands";
import { createLogger } from "./log";
import { LogShipper } from "./mail-log/shipper";
import { MailLogSpool, mailLogDir } from "./mail-log/spool";
import { filterByLogPolicy } from "./log-policy";
import { Pop3Server, type Pop3ListenerName } from "./pop3/pop3-server";
import { buildPosture } from "./posture/posture";
import { WeakPasswords } from "./posture/weak-passwords";
import { MailQueue } from "./queue/queue";
import {
  loadAgentSettings,
  parseAgentSettings,
  type AgentSettings,
  type AgentSettingsInput,
} from "./settings/agent-settings";
import { compileConfig, lockedDownConfig, type ActiveConfig } from "./smtp/active-config";
import { MailServer } from "./smtp/mail-server";
import { installFastDataDots } from "./smtp/smtp-stream-dots";
import type { ListenerName } from "./smtp/rules";
import { certificateFacts, loadTlsMaterial, offeredTlsVersions } from "./smtp/tls";
import { mkdirDurable } from "./state/atomic-write";
import { loadAppliedConfig, persistAppliedConfig } from "./state/applied-config";
import { readCredential } from "./state/credential";
import { lockStateDir, type StateDirLock } from "./state/state-dir-lock";
import { AGENT_VERSION } from "./version";

export type StartAgentOptions = ({ configPath: string } | { config: AgentSettingsInput }) & {
  /** Defaults to a JSON logger on stdout at MAILWARDEN_LOG_LEVEL. */
  logger?: Logger;
  /** Connect to the hub when a credential file exists (default true). */
  connectToHub?: boolean;
};

export interface RunningAgent {
  /** Bound ports (useful with port 0 in tests); 0 for a listener the config keeps closed. */
  ports: Record<ListenerName | Pop3ListenerName, number>;
  settings: AgentSettings;
  /** null when the agent is not enrolled or connectToHub was false. */
  hub: HubClient | null;
  appliedRevision(): number | null;
  /** Validates, applies atomically and persists a config; on failure the previous config stays. */
  applyConfig(revision: number, config: unknown): Promise<ApplyResult>;
  posture(): Promise<Posture>;
  /** The mail queue and its delivery worker: list, retry now, reset retries, delete, bounce. */
  delivery: DeliveryWorker;
  /** Row 21: abuse detection and its blocks (list, lift). */
  abuse: AbuseDetection;
  /** Issue 13: the mail log spool every component records its decisions in. */
  mailLog: MailLogSpool;
  /** Closes the hub socket and the listeners (open sessions get shutdownGraceMs to finish). */
  stop(): Promise<void>;
}

export async function startAgent(options: StartAgentOptions): Promise<RunningAgent> {
  const settings =
    "configPath" in options
      ? await loadAgentSettings(options.configPath)
      : parseAgentSettings(options.config);
  const logger = options.logger ?? createLogger();
  const ignored = (["maxClients", "maxClientsPerAddress"] as const).filter((key) => key in settings.smtp);
  if (ignored.length > 0) {
    logger.warn(
      { settings: ignored.map((key) => `smtp.${key}`) },
      "settings ignored: connection limits are policy row 15 (connectionLimits), set in the console",
    );
  }
  await mkdirDurable(settings.stateDir, 0o700);
  const stateLock = await lockStateDir(settings.stateDir);
  try {
    return await startLocked(options, settings, logger, stateLock);
  } catch (error) {
    await stateLock.release();
    throw error;
  }
}

/** The rest of startAgent, once this process holds the state directory. */
async function startLocked(
  options: StartAgentOptions,
  settings: AgentSettings,
  logger: Logger,
  stateLock: StateDirLock,
): Promise<RunningAgent> {
  const startedAt = Date.now();
  const initialConfig = await loadInitialConfig(settings.stateDir, logger);
  // The one resolver for every lookup of this agent (SPF/DKIM/DMARC, MX for delivery, ...).
  const dns = createDnsResolver({
    servers: settings.dnsServers,
    timeoutMs: settings.dnsTimeoutMs,
    cacheSeconds: settings.dnsCacheSeconds,
  });
  const weakPasswords = new WeakPasswords();
  // mailauth in this thread too: DKIM signing, and verification when there are no authentication threads
  installFastLineEndings();
  // smtp-server's end-of-DATA search, as a native search instead of a loop over every byte
  installFastDataDots();
  const authenticationPool = createAuthenticationPool(settings.authThreads, dns, logger);
  const dkimKeys = new DkimKeyStore(settings.stateDir, logger.child({ component: "dkim" }));
  const tls = await loadTlsMaterial({
    stateDir: settings.stateDir,
    hostname: settings.hostname,
    configured: settings.tls,
    logger: logger.child({ component: "tls" }),
  });
  let liveConfig = (): ActiveConfig => initialConfig;
  // Issue 13: every decision is recorded here before the reply it describes; row 23 decides which.
  const mailLog = await MailLogSpool.open({
    dir: mailLogDir(settings.stateDir),
    logger: logger.child({ component: "mail-log" }),
    maxBytes: settings.mailLogSpoolBytes,
    levels: () => liveConfig().server,
  });
  // Row 21: blocks saved before a restart are in force from the first connection.
  const abuse = await AbuseDetection.open({
    stateDir: settings.stateDir,
    logger: logger.child({ component: "ids" }),
    policy: () => liveConfig().server,
    mailLog,
  });
  // Row 22: list members' bounces, counted by the delivery worker and from DSNs to <list>-bounces.
  const listBounces = await ListBounceLedger.open({
    stateDir: settings.stateDir,
    config: () => liveConfig(),
    logger: logger.child({ component: "lists" }),
  });
  // Every accepted message is durably queued before its 250; the worker delivers it from there.
  const queue = new MailQueue({ stateDir: settings.stateDir, logger: logger.child({ component: "queue" }) });
  const delivery = new DeliveryWorker({
    queue,
    stateDir: settings.stateDir,
    hostname: settings.hostname,
    resolver: dns,
    config: () => mailServer.config,
    settings: settings.delivery,
    // Row 21: a suspended user's queued mail waits until the suspension is lifted.
    isHeld: (entry) => abuse.isHeld(entry.authenticatedUser),
    listBounces,
    mailLog,
    // Row 23: what the worker records follows the policy's delivery log level.
    logger: filterByLogPolicy(
      logger.child({ component: "delivery" }),
      () => mailServer.config.server.deliveryLogLevel,
    ),
  });
  const mailServer = await MailServer.start({
    listeners: settings.listeners,
    hostname: settings.hostname,
    banner: settings.banner,
    stateDir: settings.stateDir,
    tls,
    initialConfig,
    dns,
    authenticator: authenticationPool ?? undefined,
    weakPasswords,
    dkimKeys,
    queue,
    abuse,
    listBounces,
    mailLog,
    logger: logger.child({ component: "smtp" }),
    sessionLimits: settings.smtp,
    closeTimeoutMs: settings.shutdownGraceMs,
  }).catch(async (error: unknown) => {
    await authenticationPool?.close();
    await mailLog.close();
    throw error;
  });
  // POP3 serves the same mailboxes under the same config, certificate and TLS policy as SMTP.
  const pop3Server = await Pop3Server.start({
    listeners: { pop3: settings.listeners.pop3, pop3s: settings.listeners.pop3s },
    hostname: settings.hostname,
    stateDir: settings.stateDir,
    tls,
    config: () => mailServer.config,
    logger: logger.child({ component: "pop3" }),
    idleTimeoutMs: settings.pop3.idleTimeoutMs,
    weakPasswords,
    abuse,
    closeTimeoutMs: settings.shutdownGraceMs,
  }).catch(async (error: unknown) => {
    await mailServer.close();
    await authenticationPool?.close();
    await mailLog.close();
    throw error;
  });
  liveConfig = () => mailServer.config;
  // Recovers what a crash left in the queue, then delivers as messages arrive and retries fall due.
  await delivery.start();

  let applyChain: Promise<unknown> = Promise.resolve();
  const applyConfig = (revision: number, config: unknown): Promise<ApplyResult> => {
    const run = applyChain.then(() => applyNow(revision, config));
    applyChain = run.catch(() => undefined);
    return run;
  };
  const applyNow = async (revision: number, config: unknown): Promise<ApplyResult> => {
    const compiled = compileConfig(revision, config);
    if (!compiled.ok) {
      logger.warn({ revision, errors: compiled.errors }, "config rejected; keeping the previous one");
      return { ok: false, revision, errors: compiled.errors };
    }
    const previous = mailServer.config;
    try {
      mailServer.apply(compiled.active);
      await persistAppliedConfig(settings.stateDir, { revision, config: compiled.active.raw });
    } catch (error) {
      mailServer.apply(previous);
      logger.error({ revision, err: error }, "config could not be applied; keeping the previous one");
      return { ok: false, revision, errors: [`could not apply: ${(error as Error).message}`] };
    }
    // The server's listeners setting: open the ones it names, close the others. A port that cannot be
    // opened does not hold the rest of the config back; the posture shows what actually listens.
    const wanted = new Set<string>(compiled.active.raw.listeners);
    const failures = [...(await mailServer.setListeners(wanted)), ...(await pop3Server.setListeners(wanted))];
    if (failures.length > 0) logger.error({ revision, failures }, "listeners could not be opened");
    logger.info(
      { revision, domains: compiled.active.domains.size, listeners: compiled.active.raw.listeners },
      "config applied",
    );
    await mailLog.record({ type: "policy.applied", at: new Date().toISOString(), revision });
    return { ok: true, revision };
  };

  const posture = async (): Promise<Posture> =>
    buildPosture({
      agentVersion: AGENT_VERSION,
      hostname: settings.hostname,
      listeners: [...mailServer.listenersPosture(), ...pop3Server.listenersPosture()],
      tlsVersions: offeredTlsVersions(mailServer.config.server),
      certificate: certificateFacts(tls.cert),
      queueSize: queue.size,
      appliedRevision: mailServer.config.revision,
      startedAt,
      dkim: await dkimKeys.publicKeys(signingDomains(mailServer.config)),
      weakPasswords: weakPasswords.list(),
      abuseBlocks: listAbuseBlocks(abuse).blocks,
      listBounces: listBounces.reports(),
    });

  let hub: HubClient | null = null;
  let shipper: LogShipper | null = null;
  if (options.connectToHub !== false) {
    const credential = await readCredential(settings.stateDir).catch((error: Error) => {
      logger.error({ err: error.message }, "credential file unusable; not connecting to the hub");
      return null;
    });
    if (credential) {
      shipper = new LogShipper({ spool: mailLog, logger: logger.child({ component: "mail-log" }) });
      hub = new HubClient({
        credential,
        hostname: settings.hostname,
        agentVersion: AGENT_VERSION,
        logger: logger.child({ component: "hub" }),
        reconnect: settings.reconnect,
        postureEvery: settings.heartbeat.postureEvery,
        getAppliedRevision: () => mailServer.config.revision,
        applyConfig,
        getPosture: posture,
        runCommand: async (command) =>
          isAbuseCommand(command) ? runAbuseCommand(abuse, command) : runQueueCommand(delivery, command),
        mailLog: shipper,
      });
      void hub.start();
    } else {
      logger.warn("not enrolled: serving mail under the local config only (run `mailwarden-agent enroll`)");
    }
  }

  // Row 21: a lift releases held mail; a suspension or a lift reaches the dashboard without waiting.
  abuse.onChange((_block, change) => {
    if (change === "lifted") delivery.kick();
    hub?.sendPostureNow();
  });

  // Row 22: a member paused after bounces shows in the console without waiting for the next posture.
  listBounces.onPause(() => hub?.sendPostureNow());

  let stopping: Promise<void> | null = null;
  return {
    get ports() {
      return { ...mailServer.ports, ...pop3Server.ports };
    },
    settings,
    hub,
    appliedRevision: () => mailServer.config.revision,
    applyConfig,
    posture,
    delivery,
    abuse,
    mailLog,
    stop() {
      stopping ??= (async () => {
        await hub?.stop();
        await Promise.all([mailServer.close(), pop3Server.close()]);
        await delivery.stop();
        await queue.close();
        await abuse.flush();
        await listBounces.flush();
        shipper?.close();
        await mailLog.close();
        await authenticationPool?.close();
        await stateLock.release();
        logger.info("agent stopped");
      })();
      return stopping;
    },
  };
}

/** Worker threads for mailauth: one per core beyond the first (1 to 4) unless the settings say. */
function createAuthenticationPool(
  threads: number | undefined,
  dns: ReturnType<typeof createDnsResolver>,
  logger: Logger,
): AuthenticationPool | null {
  const size = threads ?? Math.min(4, Math.max(1, availableParallelism() - 1));
  if (size === 0) return null;
  return new AuthenticationPool({ size, resolver: dns, logger: logger.child({ component: "auth" }) });
}

/** The last config the hub got applied, or locked-down defaults. A broken file never loosens anything. */
async function loadInitialConfig(stateDir: string, logger: Logger): Promise<ActiveConfig> {
  try {
    const applied = await loadAppliedConfig(stateDir);
    if (!applied) {
      logger.info("no config received yet: locked-down defaults, no local domains");
      return lockedDownConfig();
    }
    const compiled = compileConfig(applied.revision, applied.config);
    if (compiled.ok) {
      logger.info({ revision: applied.revision }, "loaded the last applied config");
      return compiled.active;
    }
    logger.error({ errors: compiled.errors }, "stored config is invalid; using locked-down defaults");
  } catch (error) {
    logger.error({ err: (error as Error).message }, "stored config unreadable; using locked-down defaults");
  }
  return lockedDownConfig();
}
