// The input for one policy setting, chosen by the shape of its zod schema (see @mailwarden/policy's
// fieldShape): a select for enums and on/off, typed number and list fields, an object's fields together,
// a table for lists of entries and a text that may be none (./object-list-input). A shape it cannot edit
// is shown as text, so a new setting never breaks the page. Nothing here saves: every change is reported
// to the editor as a draft value (./policy-editor), which saves all drafts together. Typed text is kept
// here while it is edited; the editor remounts an input (its React key) to put a value back.
"use client";
import * as React from "react";
import type { FieldShape, ObjectFieldShape, PolicyKey } from "@mailwarden/policy";
import { Input, Select } from "../ui/input";
import { cn } from "~/lib/cn";
import { NullableTextControl, ObjectListInput } from "./object-list-input";
import { fieldLabel, formatSettingValue } from "./setting-source";

type LeafShape = ObjectFieldShape;

interface SettingInputProps {
  id: string;
  settingKey: PolicyKey;
  label: string;
  shape: FieldShape;
  /** The value shown: the draft if there is one, else the saved value. */
  value: unknown;
  isDisabled: boolean;
  /** Values a provider lock forbids here: their options are disabled. */
  isForbidden: (value: unknown) => boolean;
  /** The id of the message under the setting, for aria-describedby. */
  errorId?: string;
  onChange: (value: unknown) => void;
}

/** A list typed as "10, 10, 1440" or one per line. */
function parseList(text: string, numeric: boolean): unknown[] {
  const items = text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);
  return numeric ? items.map(Number) : items.map((item) => item.toLowerCase());
}

function toDraft(shape: LeafShape, value: unknown): string {
  if (shape.kind === "string-list" || shape.kind === "number-list") return (value as unknown[]).join(", ");
  if (shape.kind === "boolean") return value === true ? "on" : "off";
  return String(value);
}

function fromDraft(shape: LeafShape, draft: string): unknown {
  switch (shape.kind) {
    case "boolean":
      return draft === "on" || draft === "true";
    case "number":
      // Empty is not 0: the schema then says a number is needed.
      return draft.trim() === "" ? null : Number(draft);
    case "string-list":
      return parseList(draft, false);
    case "number-list":
      return parseList(draft, true);
    default:
      return draft;
  }
}

function LeafControl({
  id,
  label,
  shape,
  draft,
  isDisabled,
  errorId,
  onDraft,
  forbiddenOption,
}: {
  id: string;
  label?: string;
  shape: LeafShape;
  draft: string;
  isDisabled: boolean;
  errorId?: string;
  onDraft: (draft: string) => void;
  forbiddenOption?: (option: string) => boolean;
}) {
  const common = {
    id,
    "aria-label": label,
    "aria-describedby": errorId,
    disabled: isDisabled,
  };
  switch (shape.kind) {
    case "boolean":
      return (
        <Select {...common} className="md:w-56" value={draft} onChange={(e) => onDraft(e.target.value)}>
          <option value="on" disabled={forbiddenOption?.("on")}>
            On
          </option>
          <option value="off" disabled={forbiddenOption?.("off")}>
            Off{forbiddenOption?.("off") ? " (locked)" : ""}
          </option>
        </Select>
      );
    case "enum":
      return (
        <Select {...common} className="md:w-64" value={draft} onChange={(e) => onDraft(e.target.value)}>
          {shape.options.map((o) => (
            <option key={o.value} value={o.value} disabled={forbiddenOption?.(o.value)}>
              {o.label}
              {forbiddenOption?.(o.value) ? " (locked)" : ""}
            </option>
          ))}
        </Select>
      );
    case "number":
      return (
        <Input
          {...common}
          type="number"
          inputMode="numeric"
          required
          className="md:w-32"
          min={shape.min ?? undefined}
          max={shape.max ?? undefined}
          step={shape.isInteger ? 1 : "any"}
          value={draft}
          onChange={(e) => onDraft(e.target.value)}
        />
      );
    case "string-list":
    case "number-list":
      return (
        <Input
          {...common}
          className="md:w-72"
          placeholder="comma-separated"
          value={draft}
          onChange={(e) => onDraft(e.target.value)}
        />
      );
  }
}

export function SettingInput({
  id,
  settingKey,
  label,
  shape,
  value,
  isDisabled,
  isForbidden,
  errorId,
  onChange,
}: SettingInputProps) {
  if (shape.kind === "readonly") {
    return (
      <span className="text-sm text-slate-500" id={id}>
        {formatSettingValue(value)}
      </span>
    );
  }
  if (shape.kind === "object") {
    return (
      <ObjectInput
        id={id}
        shape={shape}
        value={value as Record<string, unknown>}
        isDisabled={isDisabled}
        errorId={errorId}
        onChange={onChange}
      />
    );
  }
  if (shape.kind === "object-list") {
    return (
      <ObjectListInput
        id={id}
        settingKey={settingKey}
        label={label}
        shape={shape}
        value={value}
        isDisabled={isDisabled}
        onChange={onChange}
      />
    );
  }
  if (shape.kind === "nullable-string") {
    return (
      <NullableTextInput
        id={id}
        label={label}
        shape={shape}
        value={value}
        isDisabled={isDisabled}
        errorId={errorId}
        onChange={onChange}
      />
    );
  }
  if (shape.kind === "boolean" || shape.kind === "enum") {
    // A choice is shown straight from the value (the draft, or the saved value).
    return (
      <LeafControl
        id={id}
        shape={shape}
        draft={toDraft(shape, value)}
        isDisabled={isDisabled}
        errorId={errorId}
        onDraft={(draft) => onChange(fromDraft(shape, draft))}
        forbiddenOption={(option) => isForbidden(fromDraft(shape, option))}
      />
    );
  }
  return (
    <TypedInput
      id={id}
      shape={shape}
      value={value}
      isDisabled={isDisabled}
      errorId={errorId}
      onChange={onChange}
    />
  );
}

/** Numbers and lists are typed: the text stays as typed, its value goes to the editor. */
function TypedInput({
  id,
  shape,
  value,
  isDisabled,
  errorId,
  onChange,
}: {
  id: string;
  shape: LeafShape;
  value: unknown;
  isDisabled: boolean;
  errorId?: string;
  onChange: (value: unknown) => void;
}) {
  const [draft, setDraft] = React.useState(() => toDraft(shape, value));
  return (
    <LeafControl
      id={id}
      shape={shape}
      draft={draft}
      isDisabled={isDisabled}
      errorId={errorId}
      onDraft={(next) => {
        setDraft(next);
        onChange(fromDraft(shape, next));
      }}
    />
  );
}

/** A text or none (null). */
function NullableTextInput({
  id,
  label,
  shape,
  value,
  isDisabled,
  errorId,
  onChange,
}: {
  id: string;
  label: string;
  shape: Extract<FieldShape, { kind: "nullable-string" }>;
  value: unknown;
  isDisabled: boolean;
  errorId?: string;
  onChange: (value: unknown) => void;
}) {
  const [draft, setDraft] = React.useState<string | null>(() => (typeof value === "string" ? value : null));
  return (
    <NullableTextControl
      id={id}
      label={label}
      shape={shape}
      draft={draft}
      isDisabled={isDisabled}
      errorId={errorId}
      onDraft={(next) => {
        setDraft(next);
        onChange(next === null ? null : next.trim());
      }}
    />
  );
}

function ObjectInput({
  id,
  shape,
  value,
  isDisabled,
  errorId,
  onChange,
}: {
  id: string;
  shape: Extract<FieldShape, { kind: "object" }>;
  value: Record<string, unknown>;
  isDisabled: boolean;
  errorId?: string;
  onChange: (value: unknown) => void;
}) {
  const [drafts, setDrafts] = React.useState<Record<string, string>>(() =>
    Object.fromEntries(shape.fields.map((f) => [f.name, toDraft(f.shape, value[f.name])])),
  );
  return (
    <div
      id={id}
      role="group"
      aria-describedby={errorId}
      className={cn("grid grid-cols-1 gap-x-3 gap-y-2 sm:grid-cols-[auto_auto] sm:items-center")}
    >
      {shape.fields.map((f) => (
        <React.Fragment key={f.name}>
          <label htmlFor={`${id}-${f.name}`} className="text-sm text-slate-600">
            {fieldLabel(f.name)}
          </label>
          <LeafControl
            id={`${id}-${f.name}`}
            shape={f.shape}
            draft={drafts[f.name] ?? ""}
            isDisabled={isDisabled}
            onDraft={(draft) => {
              const next = { ...drafts, [f.name]: draft };
              setDrafts(next);
              onChange(
                Object.fromEntries(shape.fields.map((g) => [g.name, fromDraft(g.shape, next[g.name] ?? "")])),
              );
            }}
          />
        </React.Fragment>
      ))}
    </div>
  );
}
