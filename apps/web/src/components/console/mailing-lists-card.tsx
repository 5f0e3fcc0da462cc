// A domain's mailing lists (policy row 22): list, add, edit, delete, with members, moderators and who
// may post. The limit and the default posting rule come from the domain's effective policy. Members whose
// copies bounce show under their list as the agents report them, and a paused one can be resumed here.
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { choiceLabel, mailingListPostingModes, type MailingListPosting } from "@mailwarden/policy";
import { LIST_BOUNCE_PAUSE_DAYS, LIST_BOUNCE_STALE_DAYS } from "@mailwarden/protocol";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardHeader, EmptyState } from "../ui/card";
import { Dialog, DialogActions } from "../ui/dialog";
import { Field, Input, Select } from "../ui/input";
import { Table, Td, Th } from "../ui/table";
import { formatDateTime } from "~/lib/format";
import { errorMessage, useTRPC, type RouterOutputs } from "~/lib/trpc";

type MemberBounceStatus = RouterOutputs["domain"]["mailingLists"]["lists"][number]["memberBounces"][number];

interface ListForm {
  /** null: a new list; otherwise the list being edited. */
  id: string | null;
  localPart: string;
  name: string;
  /** "" follows the domain's setting. */
  posting: MailingListPosting | "";
  members: string;
  moderators: string;
}

const emptyForm: ListForm = { id: null, localPart: "", name: "", posting: "", members: "", moderators: "" };
const addresses = (text: string) => text.split(/[\s,;]+/).filter(Boolean);

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
      <span className="font-mono text-xs">{status.member}</span>
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
  const lists = useQuery(trpc.domain.mailingLists.queryOptions({ domainId }));
  const [form, setForm] = React.useState<ListForm | null>(null);
  const refresh = () =>
    void qc.invalidateQueries({ queryKey: trpc.domain.mailingLists.queryKey({ domainId }) });
  const close = () => setForm(null);
  const onSuccess = () => {
    close();
    refresh();
  };
  const create = useMutation(trpc.domain.createMailingList.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.domain.updateMailingList.mutationOptions({ onSuccess }));
  const remove = useMutation(trpc.domain.deleteMailingList.mutationOptions({ onSuccess: refresh }));
  const [resumedNote, setResumedNote] = React.useState<string | null>(null);
  const resume = useMutation(
    trpc.domain.resumeListMember.mutationOptions({
      onMutate: () => setResumedNote(null),
      onSuccess: (resumed) => {
        setResumedNote(
          `Delivery to ${resumed.member} resumed: the servers send it the list's copies again and forget its earlier bounces.`,
        );
        refresh();
      },
    }),
  );
  const save = form?.id ? update : create;

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
            onClick={() => {
              create.reset();
              setForm(emptyForm);
            }}
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
                    {list.address}
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
                  <Td title={list.members.join(", ")}>{list.members.length}</Td>
                  <Td>{list.moderators.join(", ") || "—"}</Td>
                  <Td className="space-x-1 whitespace-nowrap text-right">
                    <Button
                      size="sm"
                      variant="ghost"
                      onClick={() => {
                        update.reset();
                        setForm({
                          id: list.id,
                          localPart: list.localPart,
                          name: list.name,
                          posting: list.posting ?? "",
                          members: list.members.join("\n"),
                          moderators: list.moderators.join("\n"),
                        });
                      }}
                    >
                      Edit
                    </Button>
                    <Button
                      size="sm"
                      variant="ghost"
                      className="text-red-600"
                      onClick={() =>
                        confirm(`Delete the mailing list ${list.address}? Its mail will be refused.`) &&
                        remove.mutate({ mailingListId: list.id })
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
        open={form !== null}
        onClose={close}
        title={form?.id ? `Edit ${form.localPart}@${domainName}` : `Add a mailing list to ${domainName}`}
      >
        {form && (
          <form
            className="space-y-4"
            onSubmit={(e) => {
              e.preventDefault();
              const fields = {
                name: form.name,
                posting: form.posting === "" ? null : form.posting,
                members: addresses(form.members),
                moderators: addresses(form.moderators),
              };
              if (form.id) update.mutate({ mailingListId: form.id, ...fields });
              else create.mutate({ domainId, localPart: form.localPart, ...fields });
            }}
          >
            {save.error && <Alert tone="error">{errorMessage(save.error)}</Alert>}
            {!form.id && (
              <Field label="Address" htmlFor="list-local">
                <div className="flex items-center gap-2">
                  <Input
                    id="list-local"
                    value={form.localPart}
                    onChange={(e) => setForm({ ...form, localPart: e.target.value })}
                  />
                  <span className="text-sm text-slate-500">@{domainName}</span>
                </div>
              </Field>
            )}
            <Field label="Name" htmlFor="list-name" hint="Shown to members in the List-Id header.">
              <Input
                id="list-name"
                value={form.name}
                onChange={(e) => setForm({ ...form, name: e.target.value })}
              />
            </Field>
            <Field label="Who may post" htmlFor="list-posting">
              <Select
                id="list-posting"
                value={form.posting}
                onChange={(e) => setForm({ ...form, posting: e.target.value as ListForm["posting"] })}
              >
                <option value="">Domain default ({defaultLabel})</option>
                {mailingListPostingModes.map((mode) => (
                  <option key={mode} value={mode}>
                    {choiceLabel(mode)}
                  </option>
                ))}
              </Select>
            </Field>
            <Field
              label="Members"
              htmlFor="list-members"
              hint="Addresses separated by commas, spaces or lines; a bare name means a mailbox of this domain."
            >
              <textarea
                id="list-members"
                rows={4}
                className="w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-brand-500 focus:outline-none focus:ring-2 focus:ring-brand-500/30"
                value={form.members}
                onChange={(e) => setForm({ ...form, members: e.target.value })}
              />
            </Field>
            <Field
              label="Moderators"
              htmlFor="list-moderators"
              hint="They may always post; with “moderators only” nobody else may."
            >
              <Input
                id="list-moderators"
                value={form.moderators}
                onChange={(e) => setForm({ ...form, moderators: e.target.value })}
              />
            </Field>
            <DialogActions
              submitLabel={form.id ? "Save list" : "Create list"}
              busy={save.isPending}
              onCancel={close}
            />
          </form>
        )}
      </Dialog>
    </Card>
  );
}
