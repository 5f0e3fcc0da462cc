// Inputs of the domain router's forms (new domain, new mailbox, mailbox password reset), and the name
// checks the services repeat.
import { z } from "zod";
import { asciiDomain } from "../domain-name";
import { optionalText, requiredText, rowId, secretText } from "./fields";

/** The part before @ that mailboxes, aliases and lists may have (services/mailboxes.ts checks it too). */
export const localPartPattern = /^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?$/;

export const isLocalPart = (raw: string) => {
  const value = raw.trim().toLowerCase();
  return localPartPattern.test(value) && !value.includes("..");
};

/** A domain name the service accepts: ASCII or IDN ("bücher.example"), a trailing dot allowed. */
export const isDomainName = (raw: string) => asciiDomain(raw) !== null;

export const createDomainInput = z.object({
  name: requiredText(253, "Enter a domain name.").refine(
    isDomainName,
    "Enter a domain name like example.com.",
  ),
  /** Provider staff choose the customer; a customer's own admin leaves it out. */
  customerId: z.string().min(1, "Choose a customer.").max(64).optional(),
});

/** The part before @ of a mailbox, alias or list. */
export const localPart = requiredText(64, "Enter the part before @.").refine(
  isLocalPart,
  "Use only letters, digits and . _ + - (not at the start or end).",
);

export const createMailboxInput = z.object({
  domainId: rowId,
  localPart,
  displayName: optionalText(100).default(""),
  password: secretText(),
});

export const resetMailboxPasswordInput = z.object({ mailboxId: rowId, password: secretText() });
