// What happens to a message between its last byte and the reply to DATA, apart from storing it.
// - Mail from an unauthenticated session (the outside world) is authenticated by mailauth and judged by
//   the DATA rules (spf, dmarc, rows 8-10): the verdict says whether to refuse it, which trace headers
//   go on top of every stored copy, and which Maildir folder local copies go to.
// - Mail of an authenticated user leaving for remote recipients is DKIM-signed with the key of the
//   user's domain (row 11) before it is queued.
// Either way the verdict carries the SPF result that queued copies record for the bounce gate (row 6).
import type { Logger } from "pino";
import type { DkimKeyStore } from "../dkim/dkim-keys";
import { PermanentSigningError, signingDomainFor, signMessage, UNSIGNABLE_REPLY } from "../dkim/dkim-sign";
import type { DnsResolver } from "../dns/resolver";
import { JUNK_FOLDER } from "../maildir/maildir";
import { findMailbox, splitAddress } from "../smtp/active-config";
import {
  dataRules,
  phaseFallback,
  recipientPolicyOf,
  reject,
  runRules,
  tempfailOutcome,
  type RuleOutcome,
  type SessionFacts,
} from "../smtp/rules";
import {
  authenticateMessage,
  removeForgedResults,
  spfResultOf,
  type Authenticator,
  type MessageAuthentication,
  type SpfResult,
} from "./message-authentication";

export interface MessageVerdict {
  /** reject / tempfail: answer that and store nothing; accept / quarantine: store. */
  outcome: RuleOutcome;
  /** Trace headers for the top of every stored copy (Authentication-Results; "" for users' mail). */
  headers: string;
  /** The message to store: forged Authentication-Results removed, or DKIM-signed. */
  message: Buffer;
  /** Maildir++ folder for local copies; undefined = inbox. */
  folder: string | undefined;
  /** Recorded with queued copies. */
  spf: SpfResult;
  /** SPF/DKIM/DMARC/ARC in short, for the "message accepted" log line (inbound mail only). */
  results?: { spf: SpfResult; dkim: string[]; dmarc: string; arc: string };
  /** reject / tempfail: the rule that decided (the mail log names it). */
  rule?: string;
  /** Outbound mail: the domain whose key signed it (row 11); undefined when it was not signed. */
  signedBy?: string;
}

export interface MessageCheckOptions {
  facts: SessionFacts;
  /** MAIL FROM; "" for the null sender. */
  sender: string;
  recipients: readonly string[];
  helo: string | undefined;
  message: Buffer;
  hostname: string;
  resolver: DnsResolver;
  /** Where mailauth runs (worker threads); in this thread when absent. */
  authenticator?: Authenticator | undefined;
  dkimKeys: DkimKeyStore;
  logger: Logger;
}

export async function checkMessage(options: MessageCheckOptions): Promise<MessageVerdict> {
  return options.facts.authenticatedUser
    ? checkOutbound(options, options.facts.authenticatedUser)
    : checkInbound(options);
}

async function checkInbound(options: MessageCheckOptions): Promise<MessageVerdict> {
  const { facts, sender, logger } = options;
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
        authenticator: options.authenticator,
        verifyArc: facts.config.server.dkimVerify,
      });
      // A rule that gave up waiting (timeout) leaves this promise behind: never an unhandled rejection.
      pending.catch(() => undefined);
    }
    return pending;
  };
  const recipientPolicy = recipientPolicyOf(facts.config, options.recipients);
  const { outcome, ruleId } = await runRules(
    "data",
    dataRules,
    { ...facts, sender, recipientPolicy, authentication },
    phaseFallback.data,
    logger,
    { from: sender },
  );
  if (outcome.action === "reject" || outcome.action === "tempfail") return refused(outcome, options, ruleId);

  // Under "tag" and "off" no rule needed the verdict, but the header is still written.
  let result: MessageAuthentication;
  try {
    result = await authentication();
  } catch (error) {
    logger.error(
      { ...logBase(facts), rule: "authentication-results", outcome: "tempfail", err: error },
      "message authentication failed; tempfailing",
    );
    return refused(tempfailOutcome, options, "authentication-results");
  }
  return {
    outcome,
    // strict mode: Authentication-Results first, then Received-SPF (RFC 8601 §5)
    headers: result.headers,
    message: removeForgedResults(options.message, options.hostname),
    folder: outcome.action === "quarantine" ? JUNK_FOLDER : undefined,
    spf: spfResultOf(result),
    results: {
      spf: spfResultOf(result),
      dkim: result.dkim.results.map(
        (signature) => `${signature.signingDomain ?? "?"}:${signature.status.result}`,
      ),
      // A domain without a DMARC record has no policy to name.
      dmarc: !result.dmarc
        ? "none"
        : result.dmarc.policy
          ? `${result.dmarc.status.result} (p=${result.dmarc.policy})`
          : result.dmarc.status.result,
      arc: result.arc ? result.arc.status.result : "off",
    },
  };
}

async function checkOutbound(options: MessageCheckOptions, user: string): Promise<MessageVerdict> {
  const { facts, logger } = options;
  const verdict: MessageVerdict = {
    outcome: phaseFallback.data,
    headers: "",
    message: options.message,
    folder: undefined,
    spf: authenticatedSenderSpf(user, options.sender),
  };
  const leaves = options.recipients.some((recipient) => !findMailbox(facts.config, recipient));
  const domain = leaves ? signingDomainFor(facts.config, user) : null;
  if (!domain) return verdict;
  try {
    const signed = await signMessage(options.dkimKeys, domain, options.message);
    logger.info({ ...logBase(facts), rule: "dkim-sign", outcome: "signed", domain }, "message DKIM-signed");
    return { ...verdict, message: signed, signedBy: domain };
  } catch (error) {
    const permanent = error instanceof PermanentSigningError;
    logger.error(
      {
        ...logBase(facts),
        rule: "dkim-sign",
        outcome: permanent ? "reject" : "tempfail",
        domain,
        err: error,
      },
      "message could not be DKIM-signed",
    );
    // Row 11 says every outbound message of the domain is signed: none leaves unsigned.
    return refused(
      permanent ? reject(UNSIGNABLE_REPLY.code, UNSIGNABLE_REPLY.message) : tempfailOutcome,
      options,
      "dkim-sign",
    );
  }
}

function refused(outcome: RuleOutcome, options: MessageCheckOptions, rule: string): MessageVerdict {
  return { outcome, headers: "", message: options.message, folder: undefined, spf: "none", rule };
}

function logBase(facts: SessionFacts) {
  return { phase: "data", session: facts.sessionId, listener: facts.listener };
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
