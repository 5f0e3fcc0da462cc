// Inputs of first-run setup, the signed-in user's password change and 2FA enrolment (auth router and
// the setup, account and two-factor pages).
import { z } from "zod";
import { emailAddress, requiredText, secretText } from "./fields";

export const completeSetupInput = z.object({
  token: z.string().min(1, "This setup link is incomplete.").max(200),
  name: requiredText(100, "Enter your name."),
  email: emailAddress(),
  password: secretText(),
});

export const changePasswordInput = z.object({
  currentPassword: secretText(256, "Enter your current password."),
  newPassword: secretText(256, "Enter a new password."),
});

export const totpCodeInput = z.object({
  code: z
    .string()
    .trim()
    .min(1, "Enter the code from your authenticator app.")
    .max(6, "At most 6 digits.")
    .regex(/^\d{6}$/, "Enter the 6 digits your authenticator app shows."),
});

/** The sign-in form (checked in the browser only; next-auth's authorize does its own checks). */
export const signInInput = z.object({
  email: emailAddress(),
  password: secretText(256, "Enter your password."),
});

/** The sign-in's second step: the authenticator's code, or one recovery code. */
export const signInCodeInput = z.object({
  totpCode: z
    .string()
    .trim()
    .min(1, "Enter the code from your authenticator app.")
    .max(6, "At most 6 digits.")
    .regex(/^\d{6}$/, "Enter the 6 digits your authenticator app shows."),
});

export const signInRecoveryInput = z.object({
  recoveryCode: requiredText(32, "Enter one of your recovery codes."),
});
