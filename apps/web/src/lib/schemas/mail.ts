// Inputs of the domain page's mail features — aliases, mailing lists, auto-replies and a mailbox's own
// sending limits — shared by their procedures (server/trpc/routers/domain.ts) and their forms, so the
// browser and the server refuse the same things with the same words. A list of addresses travels as an
// array; its form field is one text, split by `addressListText` and then checked by the same array schema.
import { z } from "zod";
import { mailingListPostingModes } from "@mailwarden/policy";
import { localPart } from "./domain";
import { rowId, tooLong } from "./fields";

/** The address check the services make (services/aliases.ts); a bare name means this domain. */
const addressPattern = /^[a-z0-9._+-]{1,64}@(?!-)[a-z0-9-]{1,63}(?:\.(?!-)[a-z0-9-]{1,63})+$/;
const isAddressOrName = (raw: string) => {
  const value = raw.trim().toLowerCase();
  return addressPattern.test(value.includes("@") ? value : `${value}@example.com`);
};

/** Addresses as a list; the ones that are no address are named in one message about the whole list. */
function addressList(max: number, noun: string) {
  return z
    .array(z.string())
    .max(max, `At most ${max} ${noun}.`)
    .superRefine((list, ctx) => {
      const bad = list.filter((address) => !isAddressOrName(address));
      if (!bad.length) return;
      const named = bad
        .slice(0, 3)
        .map((address) => (address.length > 40 ? `${address.slice(0, 40)}…` : address));
      ctx.addIssue({
        code: "custom",
        message: `Not an e-mail address: ${named.join(", ")}${bad.length > 3 ? ` and ${bad.length - 3} more` : ""}.`,
      });
    });
}

/** The same list typed in one field: addresses separated by commas, semicolons, spaces or lines. */
export function addressListText<T extends z.ZodType<string[], string[]>>(list: T) {
  return z
    .string()
    .max(100_000, tooLong(100_000))
    .transform((text) => text.split(/[\s,;]+/).filter(Boolean))
    .pipe(list);
}

// ---- aliases

export const createAliasInput = z.object({
  domainId: rowId,
  localPart,
  targets: addressList(50, "targets").min(1, "Add at least one address to forward to."),
});

export const createAliasForm = createAliasInput.extend({
  targets: addressListText(createAliasInput.shape.targets),
});

// ---- mailing lists

const listFields = {
  name: z.string().trim().max(200, tooLong(200)).default(""),
  /** null follows the domain's setting. */
  posting: z.enum(mailingListPostingModes).nullable(),
  members: addressList(1000, "members"),
  moderators: addressList(100, "moderators"),
};

/**
 * "Moderators only" needs a moderator. The forms check it here; the procedures leave it to the service,
 * which says the same words (services/mailing-lists.ts) and whose message callers already rely on.
 */
const hasModeratorIfNeeded = (list: { posting: string | null; moderators: string[] }) =>
  list.posting !== "moderators" || list.moderators.length > 0;
const moderatorRule = {
  message: "Add a moderator: only moderators may post to this list.",
  path: ["moderators"],
};

export const createMailingListInput = z.object({ domainId: rowId, localPart, ...listFields });

export const updateMailingListInput = z.object({ mailingListId: rowId, ...listFields });

/** The list form: "" in the posting select follows the domain; members and moderators typed as text. */
const listFormFields = {
  name: listFields.name,
  posting: z.enum(["", ...mailingListPostingModes]).transform((mode) => (mode === "" ? null : mode)),
  members: addressListText(listFields.members),
  moderators: addressListText(listFields.moderators),
};

export const createMailingListForm = z
  .object({ localPart, ...listFormFields })
  .refine(hasModeratorIfNeeded, moderatorRule);

export const updateMailingListForm = z.object(listFormFields).refine(hasModeratorIfNeeded, moderatorRule);

// ---- a mailbox's auto-reply and sending limits

export const setAutoReplyInput = z
  .object({
    mailboxId: rowId,
    enabled: z.boolean(),
    subject: z.string().max(200, tooLong(200)),
    body: z.string().max(10_000, tooLong(10_000)),
    // A number input's text, or a number from the API.
    intervalHours: z.coerce
      .number<string | number>("Enter a number of hours.")
      .int("Enter whole hours.")
      .min(1, "At least 1 hour.")
      .max(720, "At most 720 hours (30 days)."),
  })
  .refine((reply) => !reply.enabled || reply.body.trim() !== "", {
    message: "Write the reply before turning it on.",
    path: ["body"],
  });

/** A mailbox's own limit: empty (null) follows the domain's. */
const ownLimit = z.preprocess(
  (value) =>
    value === "" || value === null || value === undefined
      ? null
      : typeof value === "string"
        ? Number(value)
        : value,
  z
    .number("Enter a whole number, or leave it empty.")
    .int("Enter a whole number, or leave it empty.")
    .min(1, "At least 1, or leave it empty.")
    .max(1_000_000, "At most 1,000,000.")
    .nullable(),
);

export const setMailboxSendingLimitsInput = z.object({
  mailboxId: rowId,
  messagesPerHour: ownLimit,
  messagesPerDay: ownLimit,
});
