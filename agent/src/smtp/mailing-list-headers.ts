// Row 22: what turns an accepted post into list mail. The RCPT rule (./rules/mailing-list) keeps a list
// address alone in its transaction; here the mail server learns which list that is and which header
// fields every copy gets: List-Id (RFC 2919) so members can filter, List-Post (RFC 2369) so replies
// find the list, and Precedence: list so auto-responders stay quiet. The poster's From and Subject are
// kept as they are; no footer, no subject tag. Copies that leave for remote members are DKIM-signed by
// the list's domain (row 11), list fields included.
import type { SMTPServerAddress } from "smtp-server";
import type { DkimKeyStore } from "../dkim/dkim-keys";
import { LIST_SIGNED_HEADERS, signingDomainFor, signMessage } from "../dkim/dkim-sign";
import type { ActiveConfig, LocalMailingList } from "./active-config";
import { servedListBounces, servedMailingList } from "./recipients";

/** The list this transaction posts to: its only recipient, when that is a list served here. */
export function listPost(
  config: ActiveConfig,
  recipients: readonly SMTPServerAddress[],
): LocalMailingList | undefined {
  const only = onlyRecipient(recipients);
  return only === undefined ? undefined : servedMailingList(config, only);
}

/** The list whose <list>-bounces address is this transaction's only recipient (a bounce report). */
export function listBouncesPost(
  config: ActiveConfig,
  recipients: readonly SMTPServerAddress[],
): LocalMailingList | undefined {
  const only = onlyRecipient(recipients);
  return only === undefined ? undefined : servedListBounces(config, only);
}

/** A list address travels alone in its transaction (./rules/mailing-list). */
function onlyRecipient(recipients: readonly SMTPServerAddress[]): string | undefined {
  return recipients.length === 1 ? recipients[0]!.address : undefined;
}

/** The header fields added on top of the message, CRLF-terminated. */
export function listHeaders(list: LocalMailingList): Buffer {
  const [localPart, domain] = [list.localPart, list.address.slice(list.localPart.length + 1)];
  // RFC 2919 list-id: a dot-atom; characters a local part may have but an atom may not become "-".
  const listId = `${localPart.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~-]/g, "-")}.${domain}`;
  const phrase = list.name.replace(/[\u0000-\u001f\u007f"\\]/g, "").trim();
  return Buffer.from(
    `List-Id: ${phrase ? `"${phrase}" ` : ""}<${listId}>\r\n` +
      `List-Post: <mailto:${list.address}>\r\n` +
      `Precedence: list\r\n`,
  );
}

/**
 * The post as stored for every copy: the list's header fields on top, then, when some copies leave
 * this server, a DKIM signature of the list's domain (if that domain signs). Throws what signMessage
 * throws: a list copy never leaves unsigned.
 */
export async function listMessage(
  list: LocalMailingList,
  message: Buffer,
  options: { config: ActiveConfig; dkimKeys: DkimKeyStore; leaves: boolean },
): Promise<Buffer> {
  const withFields = Buffer.concat([listHeaders(list), message]);
  const domain = options.leaves ? signingDomainFor(options.config, list.address) : null;
  return domain ? signMessage(options.dkimKeys, domain, withFields, LIST_SIGNED_HEADERS) : withFields;
}
