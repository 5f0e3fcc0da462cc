// The input for one policy setting, chosen by the shape of its zod schema (see @mailwarden/policy's
// fieldShape): a select for enums and on/off, number and list fields with a Save button, an object's
// fields together, a table for lists of entries and a text that may be none (./object-list-input). A
// shape it cannot edit is shown as text, so a new setting never breaks the page.
"use client";
import * as React from "react";
import { settingProblems, type FieldShape, type ObjectFieldShape, type PolicyKey } from "@mailwarden/policy";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Input, Select } from "../ui/input";
import { NullableTextControl, ObjectListInput } from "./object-list-input";
import { fieldLabel, formatSettingValue } from "./setting-source";

type LeafShape = ObjectFieldShape;

interface SettingInputProps {
  id: string;
  settingKey: PolicyKey;
  label: string;
  shape: FieldShape;
  value: unknown;
  isDisabled: boolean;
  /** Values a provider lock forbids here: their options are disabled. */
  isForbidden: (value: unknown) => boolean;
  onSubmit: (value: unknown) => void;
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
  return String(value);
}

function fromDraft(shape: LeafShape, draft: string): unknown {
  switch (shape.kind) {
    case "boolean":
      return draft === "on" || draft === "true";
    case "number":
      return Number(draft);
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
  onDraft,
  forbiddenOption,
}: {
  id: string;
  label?: string;
  shape: LeafShape;
  draft: string;
  isDisabled: boolean;
  onDraft: (draft: string) => void;
  forbiddenOption?: (option: string) => boolean;
}) {
  switch (shape.kind) {
    case "boolean":
      return (
        <Select
          id={id}
          aria-label={label}
          className="w-56"
          value={draft === "true" || draft === "on" ? "on" : "off"}
          disabled={isDisabled}
          onChange={(e) => onDraft(e.target.value)}
        >
          <option value="on" disabled={forbiddenOption?.("on")}>
            On
          </option>
          <option value="off" disabled={forbiddenOption?.("off")}>
            Off
          </option>
        </Select>
      );
    case "enum":
      return (
        <Select
          id={id}
          aria-label={label}
          className="w-64"
          value={draft}
          disabled={isDisabled}
          onChange={(e) => onDraft(e.target.value)}
        >
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
          id={id}
          aria-label={label}
          type="number"
          className="w-32"
          min={shape.min ?? undefined}
          max={shape.max ?? undefined}
          step={shape.isInteger ? 1 : "any"}
          value={draft}
          disabled={isDisabled}
          onChange={(e) => onDraft(e.target.value)}
        />
      );
    case "string-list":
    case "number-list":
      return (
        <Input
          id={id}
          aria-label={label}
          className="w-72"
          placeholder="comma-separated"
          value={draft}
          disabled={isDisabled}
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
  onSubmit,
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
        onSubmit={onSubmit}
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
        onSubmit={onSubmit}
      />
    );
  }
  if (shape.kind === "nullable-string") {
    return (
      <NullableTextInput
        id={id}
        settingKey={settingKey}
        label={label}
        shape={shape}
        value={value}
        isDisabled={isDisabled}
        onSubmit={onSubmit}
      />
    );
  }
  if (shape.kind === "boolean" || shape.kind === "enum") {
    // A choice saves at once (asking first when it loosens).
    return (
      <LeafControl
        id={id}
        shape={shape}
        draft={toDraft(shape, value)}
        isDisabled={isDisabled}
        onDraft={(draft) => onSubmit(fromDraft(shape, draft))}
        forbiddenOption={(option) => isForbidden(fromDraft(shape, option))}
      />
    );
  }
  return (
    <TypedInput
      id={id}
      label={label}
      shape={shape}
      value={value}
      isDisabled={isDisabled}
      onSubmit={onSubmit}
    />
  );
}

/** Numbers and lists are typed, then saved with a button. */
function TypedInput({
  id,
  label,
  shape,
  value,
  isDisabled,
  onSubmit,
}: {
  id: string;
  label: string;
  shape: LeafShape;
  value: unknown;
  isDisabled: boolean;
  onSubmit: (value: unknown) => void;
}) {
  const stored = toDraft(shape, value);
  const [draft, setDraft] = React.useState(stored);
  React.useEffect(() => setDraft(stored), [stored]);
  return (
    <form
      className="flex items-center gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(fromDraft(shape, draft));
      }}
    >
      <LeafControl id={id} shape={shape} draft={draft} isDisabled={isDisabled} onDraft={setDraft} />
      <Button type="submit" size="sm" variant="secondary" disabled={isDisabled || draft === stored}>
        Save <span className="sr-only">{label}</span>
      </Button>
    </form>
  );
}

/** A text or none (null), checked with the setting's schema before it is sent. */
function NullableTextInput({
  id,
  settingKey,
  label,
  shape,
  value,
  isDisabled,
  onSubmit,
}: {
  id: string;
  settingKey: PolicyKey;
  label: string;
  shape: Extract<FieldShape, { kind: "nullable-string" }>;
  value: unknown;
  isDisabled: boolean;
  onSubmit: (value: unknown) => void;
}) {
  const stored = typeof value === "string" ? value : null;
  const [draft, setDraft] = React.useState<string | null>(stored);
  const [problems, setProblems] = React.useState<string[]>([]);
  React.useEffect(() => {
    setDraft(stored);
    setProblems([]);
  }, [stored]);
  return (
    <form
      className="space-y-2"
      onSubmit={(e) => {
        e.preventDefault();
        const next = draft === null ? null : draft.trim();
        const found = settingProblems(settingKey, next);
        setProblems(found);
        if (!found.length) onSubmit(next);
      }}
    >
      <div className="flex items-center gap-2">
        <NullableTextControl
          id={id}
          label={label}
          shape={shape}
          draft={draft}
          isDisabled={isDisabled}
          onDraft={setDraft}
        />
        <Button type="submit" size="sm" variant="secondary" disabled={isDisabled || draft === stored}>
          Save <span className="sr-only">{label}</span>
        </Button>
      </div>
      {problems.length > 0 && <Alert tone="error">{problems.join(" ")}</Alert>}
    </form>
  );
}

function ObjectInput({
  id,
  shape,
  value,
  isDisabled,
  onSubmit,
}: {
  id: string;
  shape: Extract<FieldShape, { kind: "object" }>;
  value: Record<string, unknown>;
  isDisabled: boolean;
  onSubmit: (value: unknown) => void;
}) {
  const stored = JSON.stringify(
    Object.fromEntries(shape.fields.map((f) => [f.name, toDraft(f.shape, value[f.name])])),
  );
  const [drafts, setDrafts] = React.useState<Record<string, string>>(() => JSON.parse(stored));
  React.useEffect(() => setDrafts(JSON.parse(stored) as Record<string, string>), [stored]);
  return (
    <form
      id={id}
      className="grid grid-cols-[auto_auto] items-center gap-x-3 gap-y-2"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(
          Object.fromEntries(shape.fields.map((f) => [f.name, fromDraft(f.shape, drafts[f.name] ?? "")])),
        );
      }}
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
            onDraft={(draft) => setDrafts({ ...drafts, [f.name]: draft })}
          />
        </React.Fragment>
      ))}
      <span />
      <Button
        type="submit"
        size="sm"
        variant="secondary"
        disabled={isDisabled || JSON.stringify(drafts) === stored}
      >
        Save
      </Button>
    </form>
  );
}
