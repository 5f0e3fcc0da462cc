// Building blocks for the input schemas that a tRPC procedure and its form share. Every check carries a
// message a hosting admin understands ("At most 100 characters."), because the same text shows under
// the field in the browser and comes back from the server when a request skips the browser's checks.
import { z } from "zod";

export const tooLong = (max: number) => `At most ${max} characters.`;

/** Trimmed text that must not be empty. */
export function requiredText(max: number, emptyMessage = "This field is required.") {
  return z.string().trim().min(1, emptyMessage).max(max, tooLong(max));
}

/** Trimmed text that may be empty. */
export function optionalText(max: number) {
  return z.string().trim().max(max, tooLong(max));
}

/** A secret typed by a person: never trimmed (a space may be part of it). */
export function secretText(max = 256, emptyMessage = "Enter a password.") {
  return z.string().min(1, emptyMessage).max(max, tooLong(max));
}

/** A mailbox-style address, lower-cased. */
export function emailAddress(emptyMessage = "Enter an email address.") {
  return z
    .string()
    .trim()
    .toLowerCase()
    .min(1, emptyMessage)
    .max(254, tooLong(254))
    .email("Enter a valid email address.");
}

/** Row ids the console passes around; never typed by a person. */
export const rowId = z.string().min(1).max(64);
