// The editor for settings that are lists of flat entries (the IP black and white lists) and for texts
// that may be "none" (the catch-all). Split from ./setting-input because an entry table has its own draft
// state: entries are added, edited and removed here, and every change goes to the policy editor as the
// setting's draft value; the editor checks it with the setting's own zod schema (settingProblems, the one
// the server checks with) and saves it with the others.
"use client";
import * as React from "react";
import type { FieldShape, ListEntryFieldShape, PolicyKey } from "@mailwarden/policy";
import { Button } from "../ui/button";
import { Input, Select } from "../ui/input";
import { Table, Td, Th } from "../ui/table";
import { fieldLabel } from "./setting-source";

/** A field's text while it is edited; null = none / never; several choices as a list. */
type FieldDraft = string | null | string[];
type EntryDraft = Record<string, FieldDraft>;

const pad = (n: number) => String(n).padStart(2, "0");

/** An ISO time as the browser's datetime-local input shows it (local time, to the minute). */
function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Back to ISO with offset; a text that is no time is kept, so the schema names it. */
function fromLocalInput(text: string): string {
  const date = new Date(text);
  return text && !Number.isNaN(date.getTime()) ? date.toISOString() : text;
}

const isDateTime = (shape: { format: string | null }) => shape.format === "datetime";

function toFieldDraft(shape: ListEntryFieldShape, value: unknown): FieldDraft {
  switch (shape.kind) {
    case "nullable-string":
      if (value === null || value === undefined) return null;
      return isDateTime(shape) ? toLocalInput(String(value)) : String(value);
    case "enum-list":
      return Array.isArray(value) ? value.map(String) : [];
    default:
      return value === undefined ? "" : String(value);
  }
}

function fromFieldDraft(shape: ListEntryFieldShape, draft: FieldDraft): unknown {
  if (shape.kind === "enum-list") {
    // In the schema's order, whatever order the boxes were ticked in.
    const chosen = draft as string[];
    return shape.options.map((o) => o.value).filter((value) => chosen.includes(value));
  }
  if (shape.kind === "nullable-string") {
    if (draft === null) return shape.isOptional ? undefined : null;
    return isDateTime(shape) ? fromLocalInput(draft as string) : (draft as string).trim();
  }
  return ((draft as string | null) ?? "").trim();
}

function emptyEntry(fields: { name: string; shape: ListEntryFieldShape }[]): EntryDraft {
  return Object.fromEntries(
    fields.map((f) => [
      f.name,
      f.shape.kind === "enum-list"
        ? []
        : f.shape.kind === "enum"
          ? (f.shape.options[0]?.value ?? "")
          : f.shape.kind === "nullable-string"
            ? null
            : "",
    ]),
  );
}

/**
 * A text with a "none" box: ticked, the value is none (null) and the text is put aside; a datetime field
 * reads "Never" and uses the browser's date and time picker.
 */
export function NullableTextControl({
  id,
  label,
  shape,
  draft,
  isDisabled,
  errorId,
  onDraft,
}: {
  id: string;
  label: string;
  shape: Extract<FieldShape, { kind: "nullable-string" }>;
  draft: string | null;
  isDisabled: boolean;
  errorId?: string;
  onDraft: (draft: string | null) => void;
}) {
  const noneLabel = isDateTime(shape) ? "Never" : "None";
  return (
    <div className="flex items-center gap-2">
      <Input
        id={id}
        aria-label={label}
        aria-describedby={errorId}
        type={isDateTime(shape) ? "datetime-local" : "text"}
        required={draft !== null}
        maxLength={isDateTime(shape) ? undefined : 254}
        className={isDateTime(shape) ? "md:w-52" : "md:w-56"}
        value={draft ?? ""}
        disabled={isDisabled || draft === null}
        onChange={(e) => onDraft(e.target.value)}
      />
      <label className="flex items-center gap-1 whitespace-nowrap text-sm text-slate-600">
        <input
          type="checkbox"
          checked={draft === null}
          disabled={isDisabled}
          onChange={(e) => onDraft(e.target.checked ? null : "")}
        />
        {noneLabel}
        <span className="sr-only"> ({label})</span>
      </label>
    </div>
  );
}

function EntryFieldControl({
  id,
  label,
  shape,
  draft,
  isDisabled,
  onDraft,
}: {
  id: string;
  label: string;
  shape: ListEntryFieldShape;
  draft: FieldDraft;
  isDisabled: boolean;
  onDraft: (draft: FieldDraft) => void;
}) {
  switch (shape.kind) {
    case "string":
      return (
        <Input
          id={id}
          aria-label={label}
          className="min-w-36"
          required
          value={draft as string}
          disabled={isDisabled}
          onChange={(e) => onDraft(e.target.value)}
        />
      );
    case "nullable-string":
      return (
        <NullableTextControl
          id={id}
          label={label}
          shape={shape}
          draft={draft as string | null}
          isDisabled={isDisabled}
          onDraft={onDraft}
        />
      );
    case "enum":
      return (
        <Select
          id={id}
          aria-label={label}
          value={draft as string}
          disabled={isDisabled}
          onChange={(e) => onDraft(e.target.value)}
        >
          {shape.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </Select>
      );
    case "enum-list": {
      const chosen = draft as string[];
      return (
        <fieldset id={id} aria-label={label} className="flex flex-col gap-1">
          {shape.options.map((o) => (
            <label key={o.value} className="flex items-center gap-1.5 whitespace-nowrap text-sm">
              <input
                type="checkbox"
                checked={chosen.includes(o.value)}
                disabled={isDisabled}
                onChange={(e) =>
                  onDraft(e.target.checked ? [...chosen, o.value] : chosen.filter((v) => v !== o.value))
                }
              />
              {o.label}
            </label>
          ))}
        </fieldset>
      );
    }
  }
}

export function ObjectListInput({
  id,
  settingKey,
  label,
  shape,
  value,
  isDisabled,
  onChange,
}: {
  id: string;
  settingKey: PolicyKey;
  label: string;
  shape: Extract<FieldShape, { kind: "object-list" }>;
  value: unknown;
  isDisabled: boolean;
  onChange: (value: unknown) => void;
}) {
  const [drafts, setDrafts] = React.useState<EntryDraft[]>(() =>
    ((Array.isArray(value) ? value : []) as Record<string, unknown>[]).map((entry) =>
      Object.fromEntries(shape.fields.map((f) => [f.name, toFieldDraft(f.shape, entry[f.name])])),
    ),
  );
  const change = (next: EntryDraft[]) => {
    setDrafts(next);
    onChange(
      next.map((entry) =>
        Object.fromEntries(shape.fields.map((f) => [f.name, fromFieldDraft(f.shape, entry[f.name] ?? null)])),
      ),
    );
  };
  const edit = (index: number, name: string, draft: FieldDraft) =>
    change(drafts.map((entry, i) => (i === index ? { ...entry, [name]: draft } : entry)));
  const isFull = shape.maxItems !== null && drafts.length >= shape.maxItems;

  return (
    <div id={id} className="w-full space-y-2">
      <Table aria-label={label}>
        <thead>
          <tr>
            {shape.fields.map((f) => (
              <Th key={f.name}>{fieldLabel(f.name)}</Th>
            ))}
            <Th>
              <span className="sr-only">Remove</span>
            </Th>
          </tr>
        </thead>
        <tbody>
          {drafts.length === 0 && (
            <tr>
              <Td colSpan={shape.fields.length + 1} className="text-slate-500">
                No entries.
              </Td>
            </tr>
          )}
          {drafts.map((entry, index) => (
            <tr key={index} data-testid={`${settingKey}-entry`}>
              {shape.fields.map((f) => (
                <Td key={f.name}>
                  <EntryFieldControl
                    id={`${id}-${index}-${f.name}`}
                    label={`${fieldLabel(f.name)} of entry ${index + 1}`}
                    shape={f.shape}
                    draft={entry[f.name] ?? null}
                    isDisabled={isDisabled}
                    onDraft={(draft) => edit(index, f.name, draft)}
                  />
                </Td>
              ))}
              <Td>
                <Button
                  type="button"
                  variant="ghost"
                  size="sm"
                  disabled={isDisabled}
                  onClick={() => change(drafts.filter((_, i) => i !== index))}
                >
                  Remove <span className="sr-only">entry {index + 1}</span>
                </Button>
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
      <Button
        type="button"
        size="sm"
        variant="secondary"
        disabled={isDisabled || isFull}
        onClick={() => change([...drafts, emptyEntry(shape.fields)])}
      >
        Add entry <span className="sr-only">to {label}</span>
      </Button>
    </div>
  );
}
