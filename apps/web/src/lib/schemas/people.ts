// Inputs of the People page (provider staff, the console's idle timeout), of an admin's actions on a
// user's account, of the password-reset page and of the account page's sessions card.
import { z } from "zod";
import { emailAddress, requiredText, rowId, secretText } from "./fields";

export const staffRoles = ["PROVIDER_ADMIN", "AUDITOR"] as const;

export const addStaffInput = z.object({
  name: requiredText(100, "Enter their name."),
  email: emailAddress(),
  role: z.enum(staffRoles, "Choose a role."),
  password: secretText(256, "Enter an initial password."),
});

export const changeStaffRoleInput = z.object({ userId: rowId, role: z.enum(staffRoles, "Choose a role.") });

export const userIdInput = z.object({ userId: rowId });

export const setUserLockedInput = z.object({ userId: rowId, locked: z.boolean() });

export const consoleSettingsInput = z.object({
  idleTimeoutMinutes: z.coerce
    .number("Enter a number of minutes.")
    .int("Enter a whole number of minutes.")
    .min(5, "At least 5 minutes.")
    .max(1440, "At most 1440 minutes (24 hours)."),
});

export const passwordResetInput = z.object({
  token: z.string().min(1, "This link is incomplete.").max(200),
  password: secretText(256, "Choose a new password."),
});

export const endSessionsInput = z.object({ sessionId: rowId.optional() });
