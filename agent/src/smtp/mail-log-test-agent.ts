// For the mail-log tests (issue 13): the agent's real components — mail server, queue, delivery worker,
// abuse detection — wired like agent.ts does, but recording into a MailLog the test holds, so a test can
// read exactly what was recorded (MemoryMailLog) or decide when a record() resolves.
import type { Logger } from "pino";
import type { AgentConfig } from "@mailwarden/protocol";
import { DeliveryWorker } from "../delivery/delivery-worker";
import { DkimKeyStore } from "../dkim/dkim-keys";
import { createDnsResolver } from "../dns/resolver";
import { AbuseDetection } from "../ids/abuse-detection";
import { ListBounceLedger } from "../lists/bounce-ledger";
import { silentLogger } from "../log";
import type { MailLog } from "../mail-log/mail-log";
import { MailQueue } from "../queue/queue";
import { parseAgentSettings, type AgentSettingsInput } from "../settings/agent-settings";
import { loopbackSettings } from "../test-support/fixtures";
import { compileConfig, lockedDownConfig, type ActiveConfig } from "./active-config";
import { MailServer } from "./mail-server";
import { loadTlsMaterial } from "./tls";

export interface MailLogTestAgent {
  mailServer: MailServer;
  delivery: DeliveryWorker;
  abuse: AbuseDetection;
  queue: MailQueue;
  ports: MailServer["ports"];
  apply(config: AgentConfig): Promise<void>;
  stop(): Promise<void>;
}

export async function startMailLogTestAgent(
  stateDir: string,
  mailLog: MailLog,
  extra: Partial<AgentSettingsInput> & { dnsServers: string[] },
): Promise<MailLogTestAgent> {
  const settings = parseAgentSettings(loopbackSettings(stateDir, extra));
  const logger: Logger = silentLogger();
  let current: () => ActiveConfig = () => lockedDownConfig();
  const dns = createDnsResolver({ servers: settings.dnsServers, timeoutMs: settings.dnsTimeoutMs });
  const abuse = await AbuseDetection.open({
    stateDir,
    logger,
    policy: () => current().server,
    mailLog,
  });
  const listBounces = await ListBounceLedger.open({ stateDir, config: () => current(), logger });
  const queue = new MailQueue({ stateDir, logger });
  const delivery = new DeliveryWorker({
    queue,
    stateDir,
    hostname: settings.hostname,
    resolver: dns,
    config: () => current(),
    settings: settings.delivery,
    isHeld: (entry) => abuse.isHeld(entry.authenticatedUser),
    listBounces,
    logger,
    mailLog,
  });
  const mailServer = await MailServer.start({
    listeners: settings.listeners,
    hostname: settings.hostname,
    stateDir,
    tls: await loadTlsMaterial({ stateDir, hostname: settings.hostname, logger }),
    initialConfig: lockedDownConfig(),
    dns,
    dkimKeys: new DkimKeyStore(stateDir, logger),
    queue,
    abuse,
    listBounces,
    logger,
    closeTimeoutMs: settings.shutdownGraceMs,
    mailLog,
  });
  current = () => mailServer.config;
  abuse.onChange((_block, change) => {
    if (change === "lifted") delivery.kick();
  });
  await delivery.start();
  return {
    mailServer,
    delivery,
    abuse,
    queue,
    get ports() {
      return mailServer.ports;
    },
    async apply(config) {
      const compiled = compileConfig((mailServer.config.revision ?? 0) + 1, config);
      if (!compiled.ok) throw new Error(compiled.errors.join("; "));
      mailServer.apply(compiled.active);
      await mailServer.setListeners(new Set<string>(compiled.active.raw.listeners));
    },
    async stop() {
      await mailServer.close();
      await delivery.stop();
      await queue.close();
      await abuse.flush();
      await listBounces.flush();
    },
  };
}
