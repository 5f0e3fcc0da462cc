// The lockdown policy document (../../shared/POLICY.md) as zod schemas. Every layer — the dashboard's
// forms, the tRPC inputs, the hub and the agent — validates against these, so a setting means the same
// thing everywhere. Rows not yet editable keep their secure default here until their issue lands.
import { z } from "zod";

export const relayModes = ["nobody", "authenticated-or-whitelist", "local-networks"] as const;
export const tlsVersions = ["TLSv1.2", "TLSv1.3"] as const;

export const passwordPolicySchema = z.object({
  minLength: z.number().int().min(8).max(128),
  minClasses: z.number().int().min(1).max(4),
  forbidUserOrDomainName: z.boolean(),
  forbidCommon: z.boolean(),
});
export type PasswordPolicy = z.infer<typeof passwordPolicySchema>;

/** The full, resolved policy: every key present. */
export const policySchema = z.object({
  /** Row 1 — who may relay to remote domains. */
  relay: z.enum(relayModes),
  /** Row 2 — senders of a domain must authenticate (530 otherwise). */
  requireSmtpAuth: z.boolean(),
  /** Row 12 — lowest TLS version offered on every listener. */
  tlsMinVersion: z.enum(tlsVersions),
  /** Row 13 — AUTH neither advertised nor accepted before TLS. */
  authOnlyOverTls: z.boolean(),
  /** Row 14 — password rules for mailboxes and console users. */
  passwordPolicy: passwordPolicySchema,
});
export type Policy = z.infer<typeof policySchema>;
export type PolicyKey = keyof Policy;

/** What one level sets; keys absent here are inherited from the level above. */
export const policyOverridesSchema = policySchema.partial().strict();
export type PolicyOverrides = z.infer<typeof policyOverridesSchema>;
