// One domain-level policy setting as the domain page's cards use it: its current value and source, and
// a save that refreshes it — the plumbing each card would otherwise repeat.
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { PolicyKey } from "@mailwarden/policy";
import { useTRPC } from "~/lib/trpc";

export function useDomainSetting<P>(domainId: string, key: PolicyKey) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const policy = useQuery(trpc.policy.domain.queryOptions({ domainId }));
  const [pending, setPending] = React.useState<P | null>(null);
  const [isSaved, setSaved] = React.useState(false);
  const update = useMutation(
    trpc.policy.updateDomain.mutationOptions({
      onSuccess: () => {
        setPending(null);
        setSaved(true);
        void qc.invalidateQueries({ queryKey: trpc.policy.domain.queryKey({ domainId }) });
      },
    }),
  );
  const setting = policy.data?.settings.find((s) => s.key === key);
  return { setting, update, pending, setPending, isSaved, setSaved };
}
