// A domain's mailing lists: list, add, edit, delete, with members, moderators and who
// may post. The limit and the default posting rule come from the domain's effective policy. Members whose
// copies bounce show under their list as the agents report them, and a paused one can be resumed here.
// The list form is the console's form pattern over the procedures' own schemas (lib/schemas/mail.ts);
// deleting asks in the app's own dialog.
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { choiceLabel, mailingListPostingModes } from "@mailwarden/policy";
import { LIST_BOUNCE_PAUSE_DAYS, LIST_BOUNCE_STALE_DAYS } from "@mailwarden/protocol";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardHeader, EmptyState } from "../ui/card";
import { useConfirm } from "../ui/confirm-dialog";
import { Dialog, DialogActions } from "../ui/dialog";
import { Select } from "../ui/input";
import { Table, Td, Th } from "../ui/table";
import { Form, FormError, FormField, useZodForm, type FieldControl } from "~/components/form";
import { displayAddress, formatDateTime } from "~/lib/format";
import { createMailingListForm, updateMailingListForm } from "~/lib/schemas/mail";
import { errorMessage, useTRPC, type RouterOutputs } from "~/lib/trpc";

type MailingList = RouterOutputs["domain"]["mailingLists"]["lists"][number];
type MemberBounceStatus = MailingList["memberBounces"][number];

/** The last bounce as a reader can check it with the member: status, what the server said, when. */
const lastBounce = (status: MemberBounceStatus) =>
  `last: ${status.lastStatus} ${status.lastDiagnostic}, ${formatDateTime(status.lastBounceAt)}`;

/** One member's bounces: paused (with Resume delivery) or still getting copies but bouncing. */
function MemberBounce({
  status,
  isResuming,
  canResume,
  onResume,
}: {
  status: MemberBounceStatus;
  isResuming: boolean;
  canResume: boolean;
  onResume: () => void;
}) {
  return (
    <li className="flex flex-wrap items-center gap-2" data-testid="list-member-bounce">
      <span className="font-mono text-xs">{displayAddress(status.member)}</span>
      {status.isPaused ? (
        <>
          <Badge tone="red">Paused</Badge>
          <span className="text-xs text-slate-600">
            Paused after bounces on {status.bounceDays} days — {lastBounce(status)}
          </span>
          <Button size="sm" variant="secondary" busy={isResuming} disabled={!canResume} onClick={onResume}>
            Resume delivery
          </Button>
        </>
      ) : (
        <>
          <Badge tone="amber">
            Bouncing ({status.bounceDays} of {LIST_BOUNCE_PAUSE_DAYS} days)
          </Badge>
          <span className="text-xs text-slate-600">{lastBounce(status)}</span>
        </>
      )}
    </li>
  );
}

export function MailingListsCard({ domainId, domainName }: { domainId: string; domainName: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const confirm = useConfirm();
  const lists = useQuery(trpc.domain.mailingLists.queryOptions({ domainId }));
  /** The dialog: a new list, or the list being edited. */
  const [editing, setEditing] = React.useState<"new" | MailingList | null>(null);
  const refresh = () =>
    void qc.invalidateQueries({ queryKey: trpc.domain.mailingLists.queryKey({ domainId }) });
  const remove = useMutation(trpc.domain.deleteMailingList.mutationOptions({ onSuccess: refresh }));
  const [resumedNote, setResumedNote] = React.useState<string | null>(null);
  const resume = useMutation(
    trpc.domain.resumeListMember.mutationOptions({
      onMutate: () => setResumedNote(null),
      onSuccess: (resumed) => {
        setResumedNote(
          `Delivery to ${displayAddress(resumed.member)} resumed: the servers send it the list's copies again and forget its earlier bounces.`,
        );
        refresh();
      },
    }),
  );
  const data = lists.data;
  const defaultLabel = data ? choiceLabel(data.domainPosting).toLowerCase() : "";
  const isFull = data ? data.lists.length >= data.maxLists : false;

  return (
    <Card>
      <CardHeader
        title="Mailing lists"
        description={
          data
            ? `One address that reaches every member. ${data.lists.length} of ${data.maxLists} lists used; by default only ${defaultLabel} may post.`
            : "One address that reaches every member."
        }
        action={
          <Button
            size="sm"
            disabled={isFull}
            title={isFull ? "The domain's policy allows no more lists." : undefined}
            onClick={() => setEditing("new")}
          >
            Add list
          </Button>
        }
      />
      {(lists.error ?? remove.error ?? resume.error) && (
        <Alert tone="error" className="m-4">
          {errorMessage(lists.error ?? remove.error ?? resume.error)}
        </Alert>
      )}
      {resumedNote && (
        <Alert tone="success" className="m-4">
          {resumedNote}
        </Alert>
      )}
      {!data?.lists.length ? (
        <EmptyState title="No mailing lists">
          Add a list, then its members: mail to the list address goes to every member, and only the senders
          its posting rule allows may write to it (others get 550).
        </EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <Th>Address</Th>
              <Th>Who may post</Th>
              <Th>Members</Th>
              <Th>Moderators</Th>
              <Th />
            </tr>
          </thead>
          <tbody>
            {data.lists.map((list) => (
              <React.Fragment key={list.id}>
                <tr>
                  <Td className="font-medium">
                    {displayAddress(list.address)}
                    {list.name && <div className="text-xs font-normal text-slate-500">{list.name}</div>}
                  </Td>
                  <Td>
                    {list.posting ? (
                      choiceLabel(list.posting)
                    ) : (
                      <span>
                        {choiceLabel(data.domainPosting)} <Badge>domain default</Badge>
                      </span>
                    )}
                  </Td>
                  <Td title={list.members.map(displayAddress).join(", ")}>{list.members.length}</Td>
                  <Td>{list.moderators.map(displayAddress).join(", ") || "—"}</Td>
                  <Td className="space-x-1 whitespace-nowrap text-right">
                    <Button size="sm" variant="ghost" onClick={() => setEditing(list)}>
                      Edit
                    </Button>
                    <Button
                      size="sm"
                      variant="ghost"
                      className="text-red-600"
                      onClick={() =>
                        void confirm({
                          title: `Delete ${displayAddress(list.address)}?`,
                          description:
                            "The list and its members are removed; mail to its address will be refused.",
                          confirmLabel: "Delete list",
                          tone: "danger",
                          onConfirm: () => remove.mutateAsync({ mailingListId: list.id }),
                        })
                      }
                    >
                      Delete
                    </Button>
                  </Td>
                </tr>
                {list.memberBounces.length > 0 && (
                  <tr>
                    <Td colSpan={5} className="bg-slate-50/60 pt-2">
                      <ul className="space-y-1.5">
                        {list.memberBounces.map((status) => (
                          <MemberBounce
                            key={status.member}
                            status={status}
                            canResume={!resume.isPending}
                            isResuming={
                              resume.isPending &&
                              resume.variables?.mailingListId === list.id &&
                              resume.variables.address === status.member
                            }
                            onResume={() => resume.mutate({ mailingListId: list.id, address: status.member })}
                          />
                        ))}
                      </ul>
                      <p className="mt-2 text-xs text-slate-500">
                        A member whose copies bounce on {LIST_BOUNCE_PAUSE_DAYS} different days is paused: the
                        list&apos;s copies skip it until you resume delivery. A member with no bounce for{" "}
                        {LIST_BOUNCE_STALE_DAYS} days starts counting again from zero.
                      </p>
                    </Td>
                  </tr>
                )}
              </React.Fragment>
            ))}
          </tbody>
        </Table>
      )}
      <Dialog
        open={editing !== null}
        onClose={() => setEditing(null)}
        title={
          editing && editing !== "new"
            ? `Edit ${displayAddress(editing.address)}`
            : `Add a mailing list to ${domainName}`
        }
      >
        {editing === "new" && (
          <NewListForm
            domainId={domainId}
            domainName={domainName}
            defaultLabel={defaultLabel}
            onDone={() => {
              setEditing(null);
              refresh();
            }}
            onCancel={() => setEditing(null)}
          />
        )}
        {editing && editing !== "new" && (
          <EditListForm
            key={editing.id}
            list={editing}
            defaultLabel={defaultLabel}
            onDone={() => {
              setEditing(null);
              refresh();
            }}
            onCancel={() => setEditing(null)}
          />
        )}
      </Dialog>
    </Card>
  );
}

const textareaClass =
  "w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-brand-500 focus:outline-none focus:ring-2 focus:ring-brand-500/30";

/** Who may post, members and moderators: the same fields in the new and the edit form. */
function ListFields({
  form,
  defaultLabel,
}: {
  // Both list forms share these fields; their schemas differ only in the address.
  form: ReturnType<typeof useZodForm<typeof updateMailingListForm>>;
  defaultLabel: string;
}) {
  return (
    <>
      <FormField
        form={form}
        name="name"
        id="list-name"
        label="Name"
        hint="Shown to members in the List-Id header."
      />
      <FormField form={form} name="posting" id="list-posting" label="Who may post">
        {(control: FieldControl) => (
          <Select {...control}>
            <option value="">Domain default ({defaultLabel})</option>
            {mailingListPostingModes.map((mode) => (
              <option key={mode} value={mode}>
                {choiceLabel(mode)}
              </option>
            ))}
          </Select>
        )}
      </FormField>
      <FormField
        form={form}
        name="members"
        id="list-members"
        label="Members"
        hint="Addresses separated by commas, spaces or lines; a bare name means a mailbox of this domain."
      >
        {(control: FieldControl) => <textarea {...control} rows={4} className={textareaClass} />}
      </FormField>
      <FormField
        form={form}
        name="moderators"
        id="list-moderators"
        label="Moderators"
        hint="They may always post; with “moderators only” nobody else may."
        autoComplete="off"
      />
    </>
  );
}

function NewListForm({
  domainId,
  domainName,
  defaultLabel,
  onDone,
  onCancel,
}: {
  domainId: string;
  domainName: string;
  defaultLabel: string;
  onDone: () => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const form = useZodForm(createMailingListForm, {
    defaultValues: { localPart: "", name: "", posting: "", members: "", moderators: "" },
  });
  const create = useMutation(
    trpc.domain.createMailingList.mutationOptions({
      onSuccess: onDone,
      onError: (error) => form.setServerError(error),
    }),
  );
  return (
    <Form form={form} onSubmit={(values) => create.mutate({ domainId, ...values })}>
      <FormError form={form} />
      <FormField
        form={form}
        name="localPart"
        id="list-local"
        label="Address"
        hint={`@${domainName}`}
        autoComplete="off"
      />
      <ListFields form={form as never} defaultLabel={defaultLabel} />
      <DialogActions submitLabel="Create list" busy={create.isPending} onCancel={onCancel} />
    </Form>
  );
}

function EditListForm({
  list,
  defaultLabel,
  onDone,
  onCancel,
}: {
  list: MailingList;
  defaultLabel: string;
  onDone: () => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const form = useZodForm(updateMailingListForm, {
    defaultValues: {
      name: list.name,
      posting: list.posting ?? "",
      members: list.members.join("\n"),
      moderators: list.moderators.join(", "),
    },
  });
  const update = useMutation(
    trpc.domain.updateMailingList.mutationOptions({
      onSuccess: onDone,
      onError: (error) => form.setServerError(error),
    }),
  );
  return (
    <Form form={form} onSubmit={(values) => update.mutate({ mailingListId: list.id, ...values })}>
      <FormError form={form} />
      <ListFields form={form} defaultLabel={defaultLabel} />
      <DialogActions submitLabel="Save list" busy={update.isPending} onCancel={onCancel} />
    </Form>
  );
}
