// One domain-level policy setting as the domain page's cards use it: its current value and source, a
// draft with its dirty state, and a save that refreshes it — the plumbing each card would otherwise
// repeat. Saving follows the policy editor's behaviour: a change is a draft until "Save changes", a
// loosening asks first, and what the server refuses is put under the setting (./policy-errors).
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { isLoosening, sameValue, settingProblems, type PolicyKey } from "@mailwarden/policy";
import { useTRPC } from "~/lib/trpc";
import { plainProblem, settingErrors } from "./policy-errors";

export function useDomainSetting(domainId: string, key: PolicyKey) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const policy = useQuery(trpc.policy.domain.queryOptions({ domainId }));
  const setting = policy.data?.settings.find((s) => s.key === key);
  // undefined = no unsaved change: the card shows the saved value.
  const [draft, setDraftState] = React.useState<{ value: unknown } | undefined>(undefined);
  const [isLoosening_, setConfirming] = React.useState(false);
  const [isSaved, setSaved] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const update = useMutation(
    trpc.policy.updateDomain.mutationOptions({
      onSuccess: () => {
        setDraftState(undefined);
        setConfirming(false);
        setSaved(true);
        // Every policy view of the domain (its editor too) reads policy.*.
        void qc.invalidateQueries({ queryKey: trpc.policy.pathKey() });
      },
      onError: (failure) => {
        setConfirming(false);
        const split = settingErrors(failure, setting ? [setting] : []);
        setError(split.byKey[key] ?? split.general);
      },
    }),
  );

  const send = (confirmLoosening: boolean) =>
    draft && update.mutate({ domainId, patch: { [key]: draft.value }, confirmLoosening });

  return {
    setting,
    /** The value to show: the draft, or the saved value. */
    value: draft ? draft.value : setting?.value,
    isDirty: draft !== undefined,
    isSaved,
    error,
    update,
    isConfirmingLoosening: isLoosening_,
    setDraft(value: unknown) {
      setSaved(false);
      setError(null);
      setDraftState(setting && sameValue(value, setting.value) ? undefined : { value });
    },
    discard() {
      setDraftState(undefined);
      setError(null);
      setSaved(false);
    },
    /** Checks the draft with the setting's schema, asks first if it loosens, then saves. */
    save() {
      if (!draft || !setting) return;
      setSaved(false);
      const problems = draft.value === null ? [] : settingProblems(key, draft.value).map(plainProblem);
      if (problems.length) return setError(problems.join(" "));
      setError(null);
      if (isLoosening(key, setting.value as never, draft.value as never)) setConfirming(true);
      else send(false);
    },
    confirmLoosening: () => send(true),
    cancelLoosening: () => setConfirming(false),
  };
}
