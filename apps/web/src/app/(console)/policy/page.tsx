// Provider defaults for every customer, domain and server, in the shared policy editor: provider staff
// set values, lock settings so no level below can loosen them, and propagate a default to all domains
// with a preview of what changes.
"use client";
import { useQuery } from "@tanstack/react-query";
import { PolicyEditor } from "~/components/console/policy-editor";
import { PageHeader } from "~/components/ui/card";
import { useTRPC } from "~/lib/trpc";

export default function PolicyPage() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  const isProviderAdmin = me.data?.providerRole === "PROVIDER_ADMIN";
  return (
    <>
      <PageHeader
        title="Policy"
        description="Provider defaults: every customer, domain and server inherits these unless it sets its own. A locked setting cannot be loosened below."
      />
      <PolicyEditor target={{ level: "provider" }} canEdit={isProviderAdmin} canLock={isProviderAdmin} />
    </>
  );
}
