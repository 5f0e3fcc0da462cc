// One server's role (primary, backup MX, gateways, smarthost), the host mail is handed to and, for a
// backup MX, the domains it accepts for the primary. Shows the value in force and where it comes from.
// Saved like every policy setting: changes are drafts until "Save changes" (./unsaved-changes), checked
// first with the role's own schema, each message under its field; the hub pushes the saved role to the
// agent.
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  defaultPolicy,
  rolesWithRelayHost,
  sameValue,
  serverRoleSchema,
  serverRoles,
  type ServerRole,
} from "@mailwarden/policy";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";
import { Card, CardHeader } from "../ui/card";
import { Field, Input, Select } from "../ui/input";
import { errorMessage, useTRPC } from "~/lib/trpc";
import { settingErrors } from "./policy-errors";
import { SettingSource } from "./setting-source";
import { SaveBar, UnsavedChangesGuard } from "./unsaved-changes";

type RoleErrors = { relayHost?: string; backupDomains?: string; form?: string };

const roleLabels: Record<ServerRole["role"], string> = {
  primary: "Primary — delivers its domains and sends remote mail by MX",
  "backup-mx": "Backup MX — accepts listed domains and forwards them to the primary",
  "incoming-gateway": "Incoming gateway — forwards accepted local mail to an inside server",
  "outgoing-gateway": "Outgoing gateway — delivers remote mail for other servers by MX",
  "primary-with-smarthost": "Primary with smarthost — sends all remote mail through a relay host",
};

const hostLabels: Partial<Record<ServerRole["role"], string>> = {
  "backup-mx": "Primary host",
  "incoming-gateway": "Forward host",
  "primary-with-smarthost": "Smarthost",
};

function describeRole(role: ServerRole): string {
  const host = role.relayHost ? ` → ${role.relayHost}` : "";
  const domains = role.backupDomains.length ? ` for ${role.backupDomains.join(", ")}` : "";
  return `${role.role}${domains}${host}`;
}

export function ServerRoleCard({ serverId, canManage }: { serverId: string; canManage: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const policy = useQuery(trpc.policy.server.queryOptions({ serverId }));
  const setting = policy.data?.settings.find((s) => s.key === "serverRole");
  const current = (setting?.value as ServerRole | undefined) ?? defaultPolicy.serverRole;
  const [role, setRole] = React.useState<ServerRole["role"]>(current.role);
  const [relayHost, setRelayHost] = React.useState(current.relayHost ?? "");
  const [domains, setDomains] = React.useState(current.backupDomains.join(", "));
  const [saved, setSaved] = React.useState(false);
  const [errors, setErrors] = React.useState<RoleErrors>({});
  // the form starts over from the stored value whenever that value changes (loaded, or saved)
  const stored = setting ? JSON.stringify(current) : "";
  const restore = React.useCallback(() => {
    if (!stored) return;
    const value = JSON.parse(stored) as ServerRole;
    setRole(value.role);
    setRelayHost(value.relayHost ?? "");
    setDomains(value.backupDomains.join(", "));
    setErrors({});
  }, [stored]);
  React.useEffect(restore, [restore]);
  const update = useMutation(
    trpc.policy.updateServer.mutationOptions({
      onSuccess: () => {
        setSaved(true);
        void qc.invalidateQueries({ queryKey: trpc.policy.pathKey() });
      },
      onError: (error) => {
        const split = settingErrors(error, setting ? [setting] : []);
        setErrors({ form: split.byKey.serverRole ?? split.general ?? undefined });
      },
    }),
  );
  if (policy.error) return <Alert tone="error">{errorMessage(policy.error)}</Alert>;
  if (!setting) return null;
  const needsHost = rolesWithRelayHost.includes(role);
  const draft: ServerRole = {
    role,
    relayHost: needsHost ? relayHost.trim() : null,
    backupDomains:
      role === "backup-mx"
        ? domains
            .split(/[\s,]+/)
            .map((d) => d.trim().toLowerCase())
            .filter(Boolean)
        : [],
  };
  const isDirty = !sameValue(draft, current);
  const edit =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      setSaved(false);
      setErrors({});
    };

  function save() {
    setSaved(false);
    // The role's own schema, the one the server checks with: each message under its field.
    const parsed = serverRoleSchema.safeParse(draft);
    if (!parsed.success) {
      const found: RoleErrors = {};
      for (const issue of parsed.error.issues) {
        const field =
          issue.path[0] === "relayHost" || issue.path[0] === "backupDomains" ? issue.path[0] : "form";
        found[field] ??= issue.message.charAt(0).toUpperCase() + issue.message.slice(1);
      }
      return setErrors(found);
    }
    setErrors({});
    update.mutate({ serverId, patch: { serverRole: parsed.data } });
  }

  return (
    <Card>
      <CardHeader title="Server role" description={setting.why} />
      <form
        noValidate
        className={
          isDirty
            ? "space-y-4 border-l-4 border-l-amber-400 bg-amber-50/50 px-4 py-4 md:px-5"
            : "space-y-4 border-l-4 border-l-transparent px-4 py-4 md:px-5"
        }
        onSubmit={(event) => {
          event.preventDefault();
          if (isDirty) save();
        }}
      >
        <UnsavedChangesGuard isDirty={isDirty} />
        <p className="flex flex-wrap items-center gap-2 text-sm">
          <span>
            Effective: <strong data-testid="serverRole-effective">{describeRole(current)}</strong>
          </span>
          <SettingSource source={setting.source} setHere={setting.setHere} />
          {isDirty && (
            <Badge tone="amber" data-testid="serverRole-unsaved">
              Unsaved change
            </Badge>
          )}
        </p>
        <Field label="Role" htmlFor="serverRole-role">
          <Select
            id="serverRole-role"
            value={role}
            disabled={!canManage || update.isPending}
            onChange={(e) => edit(setRole)(e.target.value as ServerRole["role"])}
          >
            {serverRoles.map((r) => (
              <option key={r} value={r}>
                {roleLabels[r]}
              </option>
            ))}
          </Select>
        </Field>
        {needsHost && (
          <Field
            label={hostLabels[role] ?? "Relay host"}
            htmlFor="serverRole-host"
            hint="host or host:port"
            error={errors.relayHost}
          >
            <Input
              id="serverRole-host"
              value={relayHost}
              placeholder="mx1.example.com:25"
              required
              maxLength={260}
              aria-invalid={errors.relayHost ? true : undefined}
              disabled={!canManage || update.isPending}
              onChange={(e) => edit(setRelayHost)(e.target.value)}
            />
          </Field>
        )}
        {role === "backup-mx" && (
          <Field
            label="Backup domains"
            htmlFor="serverRole-domains"
            hint="Accepted from anyone and forwarded to the primary; separate with commas."
            error={errors.backupDomains}
          >
            <Input
              id="serverRole-domains"
              value={domains}
              placeholder="example.com, example.org"
              required
              aria-invalid={errors.backupDomains ? true : undefined}
              disabled={!canManage || update.isPending}
              onChange={(e) => edit(setDomains)(e.target.value)}
            />
          </Field>
        )}
        {canManage && (
          <SaveBar
            label="Unsaved server role change"
            changeCount={isDirty ? 1 : 0}
            isSaving={update.isPending}
            notice={saved ? "Saved. The agent applies it within seconds." : null}
            error={errors.form}
            onDiscard={restore}
            onSave={save}
          />
        )}
      </form>
    </Card>
  );
}
