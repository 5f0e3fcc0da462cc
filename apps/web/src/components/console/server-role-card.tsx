// Policy row 25 for one server: its role (primary, backup MX, gateways, smarthost), the host mail is
// handed to and, for a backup MX, the domains it accepts for the primary. Shows the value in force and
// where it comes from; saving writes the server's own policy revision, which the hub pushes to the agent.
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { defaultPolicy, rolesWithRelayHost, serverRoles, type ServerRole } from "@mailwarden/policy";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { Field, Input, Select } from "../ui/input";
import { errorMessage, useTRPC } from "~/lib/trpc";
import { SettingSource } from "./setting-source";

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
  // the form starts over from the stored value whenever that value changes (loaded, or saved)
  const stored = setting ? JSON.stringify(current) : "";
  React.useEffect(() => {
    if (!stored) return;
    const value = JSON.parse(stored) as ServerRole;
    setRole(value.role);
    setRelayHost(value.relayHost ?? "");
    setDomains(value.backupDomains.join(", "));
  }, [stored]);
  const update = useMutation(
    trpc.policy.updateServer.mutationOptions({
      onSuccess: () => {
        setSaved(true);
        void qc.invalidateQueries({ queryKey: trpc.policy.server.queryKey({ serverId }) });
      },
    }),
  );
  if (policy.error) return <Alert tone="error">{errorMessage(policy.error)}</Alert>;
  if (!setting) return null;
  const needsHost = rolesWithRelayHost.includes(role);

  function save(event: React.FormEvent) {
    event.preventDefault();
    setSaved(false);
    const serverRole: ServerRole = {
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
    update.mutate({ serverId, patch: { serverRole } });
  }

  return (
    <Card>
      <CardHeader title="Server role" description={setting.why} />
      <form className="space-y-4 px-5 py-4" onSubmit={save}>
        {update.error && <Alert tone="error">{errorMessage(update.error)}</Alert>}
        {saved && <Alert tone="success">Saved. The agent applies it within seconds.</Alert>}
        <p className="flex flex-wrap items-center gap-2 text-sm">
          <span>
            Effective: <strong data-testid="serverRole-effective">{describeRole(current)}</strong>
          </span>
          <SettingSource source={setting.source} setHere={setting.setHere} />
          <span className="text-xs text-slate-400">row {setting.row}</span>
        </p>
        <Field label="Role" htmlFor="serverRole-role">
          <Select
            id="serverRole-role"
            value={role}
            disabled={!canManage || update.isPending}
            onChange={(e) => setRole(e.target.value as ServerRole["role"])}
          >
            {serverRoles.map((r) => (
              <option key={r} value={r}>
                {roleLabels[r]}
              </option>
            ))}
          </Select>
        </Field>
        {needsHost && (
          <Field label={hostLabels[role] ?? "Relay host"} htmlFor="serverRole-host" hint="host or host:port">
            <Input
              id="serverRole-host"
              value={relayHost}
              placeholder="mx1.example.com:25"
              disabled={!canManage || update.isPending}
              onChange={(e) => setRelayHost(e.target.value)}
            />
          </Field>
        )}
        {role === "backup-mx" && (
          <Field
            label="Backup domains"
            htmlFor="serverRole-domains"
            hint="Accepted from anyone and forwarded to the primary; separate with commas."
          >
            <Input
              id="serverRole-domains"
              value={domains}
              placeholder="example.com, example.org"
              disabled={!canManage || update.isPending}
              onChange={(e) => setDomains(e.target.value)}
            />
          </Field>
        )}
        {canManage && (
          <div className="flex justify-end">
            <Button type="submit" busy={update.isPending}>
              Save role
            </Button>
          </div>
        )}
      </form>
    </Card>
  );
}
