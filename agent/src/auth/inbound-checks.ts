// What happens to a message between its last byte and the reply to DATA. Mail from an unauthenticated
// session (the outside world) is authenticated by mailauth and judged by the DATA rules (spf, dmarc);
// the verdict says whether to refuse it, what to prepend to every stored copy, which Maildir folder
// local copies go to and which SPF result queued copies carry (for the bounce gate, row 6).
// Authenticated submissions skip all of it: their sender is a user of ours, not a remote server.
import type { Logger } from "pino";
import type { DnsResolver } from "../dns/resolver";
import { JUNK_FOLDER } from "../maildir/maildir";
import { splitAddress } from "../smtp/active-config";
import {
  dataRules,
  phaseFallback,
  recipientPolicyOf,
  runRules,
  tempfailOutcome,
  type RuleOutcome,
  type SessionFacts,
} from "../smtp/rules";
import {
  authenticateMessage,
  authenticationHeaders,
  removeForgedResults,
  spfResultOf,
  type MessageAuthentication,
  type SpfResult,
} from "./message-authentication";

export interface InboundVerdict {
  /** reject / tempfail: answer that and store nothing; accept / quarantine: store. */
  outcome: RuleOutcome;
  /** Trace headers for the top of every stored copy (empty for authenticated mail). */
  headers: Buffer;
  /** The message to store: as received, minus Authentication-Results forged in our name. */
  message: Buffer;
  /** Maildir++ folder for local copies; undefined = inbox. */
  folder: string | undefined;
  /** Recorded with queued copies. */
  spf: SpfResult;
}

export interface InboundCheckOptions {
  facts: SessionFacts;
  /** MAIL FROM; "" for the null sender. */
  sender: string;
  recipients: readonly string[];
  helo: string | undefined;
  message: Buffer;
  hostname: string;
  resolver: DnsResolver;
  logger: Logger;
}

export async function checkInbound(options: InboundCheckOptions): Promise<InboundVerdict> {
  const { facts, sender, logger } = options;
  if (facts.authenticatedUser) {
    return {
      outcome: phaseFallback.data,
      headers: Buffer.alloc(0),
      message: options.message,
      folder: undefined,
      spf: authenticatedSenderSpf(facts.authenticatedUser, sender),
    };
  }

  let pending: Promise<MessageAuthentication> | undefined;
  const authentication = (): Promise<MessageAuthentication> => {
    if (!pending) {
      pending = authenticateMessage({
        message: options.message,
        ip: facts.remoteAddress,
        helo: options.helo,
        sender,
        hostname: options.hostname,
        resolver: options.resolver,
        verifyArc: facts.config.server.dkimVerify,
      });
      // A rule that gave up waiting (timeout) leaves this promise behind: never an unhandled rejection.
      pending.catch(() => undefined);
    }
    return pending;
  };
  const recipientPolicy = recipientPolicyOf(facts.config, options.recipients);
  const { outcome } = await runRules(
    "data",
    dataRules,
    { ...facts, sender, recipientPolicy, authentication },
    phaseFallback.data,
    logger,
    { from: sender },
  );
  const refused = {
    headers: Buffer.alloc(0),
    message: options.message,
    folder: undefined,
    spf: "none" as const,
  };
  if (outcome.action === "reject" || outcome.action === "tempfail") return { outcome, ...refused };

  // Under "tag" and "off" no rule needed the verdict, but the header is still written.
  let result: MessageAuthentication;
  try {
    result = await authentication();
  } catch (error) {
    logger.error(
      {
        phase: "data",
        session: facts.sessionId,
        rule: "authentication-results",
        outcome: "tempfail",
        err: error,
      },
      "message authentication failed; tempfailing",
    );
    return { outcome: tempfailOutcome, ...refused };
  }
  logger.info(
    {
      phase: "data",
      session: facts.sessionId,
      from: sender,
      spf: spfResultOf(result),
      dkim: result.dkim.results.map(
        (signature) => `${signature.signingDomain ?? "?"}:${signature.status.result}`,
      ),
      dmarc: result.dmarc ? `${result.dmarc.status.result} (p=${result.dmarc.policy})` : "none",
      arc: result.arc ? result.arc.status.result : "off",
      outcome: outcome.action,
    },
    "message authenticated",
  );
  return {
    outcome,
    headers: Buffer.from(authenticationHeaders(result)),
    message: removeForgedResults(options.message, options.hostname),
    folder: outcome.action === "quarantine" ? JUNK_FOLDER : undefined,
    spf: spfResultOf(result),
  };
}

/**
 * Authenticated mail is not SPF-checked (the client is a user's device, not a mail server). For the
 * bounce gate, a MAIL FROM in the user's own domain counts as "pass" — SMTP AUTH proves more than SPF
 * would — and any other address as "none", so a bounce never goes to an address a user merely typed.
 */
function authenticatedSenderSpf(user: string, sender: string): SpfResult {
  if (!sender) return "none";
  return splitAddress(sender).domain === splitAddress(user).domain ? "pass" : "none";
}
