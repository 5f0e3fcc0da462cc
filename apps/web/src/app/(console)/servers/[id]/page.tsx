// One server: connection, policy sync and the posture its agent last reported.
"use client";
import * as React from "react";
import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { AbuseBlocksCard } from "~/components/console/abuse-blocks-card";
import { EnrollmentInstructions } from "~/components/console/enrollment-instructions";
import { ListenersCard } from "~/components/console/listeners-card";
import { LogGapsAlert } from "~/components/console/log-gaps-alert";
import { PolicyEditor } from "~/components/console/policy-editor";
import { QueueCard } from "~/components/console/queue-card";
import { ServerRoleCard } from "~/components/console/server-role-card";
import { isRejectingLatest, PolicySyncBadge, ServerStatusBadge } from "~/components/console/server-status";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, CardHeader, EmptyState, PageHeader } from "~/components/ui/card";
import { useConfirm } from "~/components/ui/confirm-dialog";
import { Table, Td, Th } from "~/components/ui/table";
import { Tabs } from "~/components/ui/tabs";
import { formatDateTime, timeAgo } from "~/lib/format";
import { errorMessage, useTRPC } from "~/lib/trpc";

function Item({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="mt-0.5 text-sm text-slate-900">{children}</dd>
    </div>
  );
}

function NotEnrolled({ what }: { what: string }) {
  return (
    <Card>
      <EmptyState title="No agent connected">
        {what} can be read once an agent is enrolled on this server and running.
      </EmptyState>
    </Card>
  );
}

function mb(bytes: number) {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

export default function ServerPage() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const me = useQuery(trpc.auth.me.queryOptions());
  const canManage = me.data?.providerRole === "PROVIDER_ADMIN";
  const server = useQuery({ ...trpc.server.get.queryOptions({ serverId: id }), refetchInterval: 3_000 });
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.server.get.queryKey({ serverId: id }) });
  const newToken = useMutation(trpc.server.newToken.mutationOptions({ onSuccess: refresh }));
  const confirm = useConfirm();
  const revoke = useMutation(trpc.server.revoke.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(
    trpc.server.delete.mutationOptions({ onSuccess: () => router.replace("/servers") }),
  );
  if (server.error) return <Alert tone="error">{errorMessage(server.error)}</Alert>;
  if (!server.data) return <p className="text-sm text-slate-500">Loading…</p>;
  const s = server.data;
  const p = s.posture;
  // The queue and the blocks are read live from the agent: there is none before enrollment or after revocation.
  const isEnrolled = s.status === "ONLINE" || s.status === "OFFLINE";
  return (
    <>
      <PageHeader
        title={s.name}
        description={
          <>
            <Link href="/servers" className="hover:underline">
              ← Servers
            </Link>{" "}
            · {s.customer.name}
          </>
        }
        action={
          canManage && (
            <div className="flex flex-wrap gap-2">
              {s.status !== "REVOKED" && (
                <Button
                  variant="secondary"
                  onClick={() => newToken.mutate({ serverId: s.id })}
                  busy={newToken.isPending}
                >
                  New enrollment token
                </Button>
              )}
              {s.status !== "REVOKED" && s.status !== "PENDING" && (
                <Button
                  variant="secondary"
                  onClick={() =>
                    void confirm({
                      title: `Revoke the agent of ${s.name}?`,
                      description: "It is disconnected at once and must be enrolled again.",
                      confirmLabel: "Revoke agent",
                      tone: "danger",
                      onConfirm: () => revoke.mutateAsync({ serverId: s.id }),
                    })
                  }
                >
                  Revoke agent
                </Button>
              )}
              <Button
                variant="danger"
                onClick={() =>
                  void confirm({
                    title: `Delete ${s.name}?`,
                    description: "Mailwarden forgets this server and its agent can no longer connect.",
                    confirmLabel: "Delete server",
                    tone: "danger",
                    onConfirm: () => remove.mutateAsync({ serverId: s.id }),
                  })
                }
              >
                Delete
              </Button>
            </div>
          )
        }
      />
      <div className="space-y-6">
        {newToken.data && (
          <Card className="p-5">
            <EnrollmentInstructions
              token={newToken.data.token}
              expiresAt={newToken.data.expiresAt}
              command={newToken.data.commands.enroll}
              installCommand={newToken.data.commands.install}
            />
          </Card>
        )}
        <Tabs
          label={`Sections of ${s.name}`}
          tabs={[
            {
              id: "overview",
              label: "Overview & posture",
              panel: (
                <div className="space-y-6">
                  <LogGapsAlert serverId={s.id} />
                  <Card className="p-5">
                    <dl className="grid grid-cols-2 gap-4 md:grid-cols-4">
                      <Item label="Status">
                        <span data-testid="server-status">
                          <ServerStatusBadge status={s.status} />
                        </span>
                      </Item>
                      <Item label="Last seen">{timeAgo(s.lastSeenAt)}</Item>
                      <Item label="Agent version">{s.agentVersion ?? "—"}</Item>
                      <Item label="Policy">
                        <PolicySyncBadge
                          desired={s.desiredRevision}
                          applied={s.appliedRevision}
                          rejectedRevision={s.lastRejectedRevision}
                          rejectReason={s.lastRejectReason}
                        />
                      </Item>
                      <Item label="Hostname">{s.hostname ?? "—"}</Item>
                      <Item label="Posture reported">{formatDateTime(s.postureAt)}</Item>
                      {s.pendingTokenExpiresAt && (
                        <Item label="Enrollment token expires">
                          {formatDateTime(s.pendingTokenExpiresAt)}
                        </Item>
                      )}
                    </dl>
                    {isRejectingLatest(s) && (
                      <Alert tone="error" className="mt-4">
                        The agent rejected the latest configuration: {s.lastRejectReason}. It keeps serving
                        under its last good configuration.
                      </Alert>
                    )}
                  </Card>
                  <Card>
                    <CardHeader title="Posture" description="What the agent reports about itself." />
                    {!p ? (
                      <EmptyState title="Nothing reported yet">
                        The agent reports its listeners, TLS and certificate once it is enrolled and running.
                      </EmptyState>
                    ) : (
                      <div className="space-y-4 p-5">
                        <dl className="grid grid-cols-2 gap-4 md:grid-cols-4">
                          <Item label="TLS versions offered">{p.tlsVersions.join(", ")}</Item>
                          <Item label="Certificate">
                            {p.certificate.subject}{" "}
                            {p.certificate.selfSigned && <Badge tone="amber">self-signed</Badge>}
                          </Item>
                          <Item label="Certificate expires">
                            {formatDateTime(p.certificate.notAfter)} ({p.certificate.daysLeft} days)
                          </Item>
                          <Item label="Queue">{p.queueSize} messages</Item>
                          <Item label="Memory">{mb(p.memory.rssBytes)} RSS</Item>
                          <Item label="Uptime">{Math.round(p.uptimeSeconds / 60)} min</Item>
                        </dl>
                        <Table>
                          <thead>
                            <tr>
                              <Th>Listener</Th>
                              <Th>Port</Th>
                              <Th>TLS</Th>
                              <Th>AUTH before TLS</Th>
                            </tr>
                          </thead>
                          <tbody>
                            {p.listeners.map((l) => (
                              <tr key={l.name}>
                                <Td>{l.name}</Td>
                                <Td>{l.port}</Td>
                                <Td>{l.tls}</Td>
                                <Td>
                                  {l.authAdvertisedBeforeTls ? (
                                    <Badge tone="red">Advertised</Badge>
                                  ) : (
                                    <Badge tone="green">Hidden</Badge>
                                  )}
                                </Td>
                              </tr>
                            ))}
                          </tbody>
                        </Table>
                      </div>
                    )}
                  </Card>
                  <ListenersCard
                    serverId={s.id}
                    listeners={s.listeners}
                    hasPosture={p !== null}
                    canManage={canManage && s.status !== "REVOKED"}
                  />
                  <ServerRoleCard serverId={s.id} canManage={canManage} />
                </div>
              ),
            },
            {
              id: "policy",
              label: "Policy",
              panel: (
                <section className="space-y-3">
                  <div>
                    <h2 className="text-lg font-semibold">Policy for {s.name}</h2>
                    <p className="text-sm text-slate-500">
                      Server-level settings; everything else comes from the provider defaults.
                    </p>
                  </div>
                  <PolicyEditor
                    target={{ level: "server", serverId: s.id }}
                    canEdit={canManage}
                    editedInOwnCard={["serverRole"]}
                  />
                </section>
              ),
            },
            {
              id: "queue",
              label: "Queue",
              panel: isEnrolled ? (
                <QueueCard serverId={s.id} serverStatus={s.status} canManage={canManage} />
              ) : (
                <NotEnrolled what="Its queue" />
              ),
            },
            {
              id: "blocks",
              label: "Blocks",
              panel: isEnrolled ? (
                <AbuseBlocksCard serverId={s.id} serverStatus={s.status} canManage={canManage} />
              ) : (
                <NotEnrolled what="Its blocks" />
              ),
            },
          ]}
        />
      </div>
    </>
  );
}
