// Inputs of the mail log: the search filters the Logs page's form, the tRPC procedures and the export
// route all take, so a bad address or IP gets the same plain message in the browser and from the server.
// Every text filter may be left empty ("" means "any"); an address alone is a complete search.
import { z } from "zod";
import { mailDirections, mailLogOutcomes } from "@mailwarden/protocol";
import { rowId, tooLong } from "./fields";

const emailCheck = z.email();
const ipv4Check = z.ipv4();
const ipv6Check = z.ipv6();

/** Optional text: "" (or absent) means no filter; otherwise `check` must pass. Output: value or undefined. */
function optionalFilter(max: number, check: (value: string) => boolean, message: string, lower = false) {
  return z
    .string()
    .trim()
    .max(max, tooLong(max))
    .refine((value) => value === "" || check(value), message)
    .transform((value) => (lower ? value.toLowerCase() : value) || undefined)
    .optional();
}

const address = (what: string) =>
  optionalFilter(
    320,
    (value) => emailCheck.safeParse(value).success,
    `Enter the ${what}'s full address, like bob@example.com.`,
    true,
  );

const optionalRowId = z
  .string()
  .max(64)
  .transform((value) => value || undefined)
  .optional();

/** The filters, as the procedures and the export route take them (dates as dates). */
export const mailLogFilterInput = z.object({
  from: z.coerce.date("Enter a date and time.").optional(),
  to: z.coerce.date("Enter a date and time.").optional(),
  serverId: optionalRowId,
  domainId: optionalRowId,
  /** Not "direction": tRPC's infinite queries put their own `direction` (forward/backward) in the input. */
  mailDirection: z
    .enum([...mailDirections, ""], "Choose a direction.")
    .transform((value) => value || undefined)
    .optional(),
  outcome: z
    .enum([...mailLogOutcomes, ""], "Choose an outcome.")
    .transform((value) => value || undefined)
    .optional(),
  sender: address("sender"),
  recipient: address("recipient"),
  clientIp: optionalFilter(
    64,
    (value) => ipv4Check.safeParse(value).success || ipv6Check.safeParse(value).success,
    "Enter an IP address, like 203.0.113.9 or 2001:db8::1.",
  ),
  rule: optionalFilter(64, (value) => /^[a-z0-9][a-z0-9.-]*$/i.test(value), "Enter a rule id, like spf."),
  /** A queue id or a Message-ID (with or without its angle brackets). */
  message: optionalFilter(
    998,
    (value) => !/\s/.test(value),
    "Enter one queue id or Message-ID, without spaces.",
  ),
});
export type MailLogFilter = z.output<typeof mailLogFilterInput>;

/** A local date and time as an <input type="datetime-local"> gives it ("2026-12-08T14:30"), or "". */
const localDateTime = z
  .string()
  .refine((value) => value === "" || !Number.isNaN(new Date(value).getTime()), "Enter a date and time.");

/** The Logs page's form: the same filters, with the time range as the browser's local date and time. */
export const mailLogSearchForm = mailLogFilterInput
  .extend({ from: localDateTime.optional(), to: localDateTime.optional() })
  .refine((value) => !value.from || !value.to || new Date(value.from) <= new Date(value.to), {
    message: "The end is before the start.",
    path: ["to"],
  });

export const mailLogSearchInput = mailLogFilterInput.extend({
  /** Where the previous page ended (opaque, from `nextCursor`). */
  cursor: z.string().max(400).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

export const mailLogTailInput = mailLogFilterInput.extend({
  /** The time of the newest record shown. */
  since: z.coerce.date(),
});

export const mailLogTraceInput = z
  .object({
    messageId: z.string().trim().max(998).optional(),
    queueId: z.string().trim().max(64).optional(),
    /** The server whose queue id it is (queue ids are per server). */
    serverId: rowId.optional(),
  })
  .refine((value) => Boolean(value.messageId || value.queueId), "Give a Message-ID or a queue id.");

export const exportFormats = ["csv", "ndjson"] as const;
export type ExportFormat = (typeof exportFormats)[number];

export const logRetentionInput = z.object({
  logRetentionDays: z.coerce
    .number("Enter a number of days.")
    .int("Enter a whole number of days.")
    .min(1, "At least 1 day.")
    .max(3650, "At most 3650 days (10 years)."),
});
