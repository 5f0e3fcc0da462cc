// What kind of input edits a setting, read from its zod schema. Settings are being added all the time;
// the dashboard's editor renders whatever shape this returns, so a new enum, switch, number, list or
// object of those, or list of flat entries (the IP lists), needs no new form code — and a shape nobody can
// edit safely is shown read-only.
import { choiceLabel } from "./choices";
import { policySchema, type PolicyKey } from "./schema";

export type FieldShape =
  | { kind: "boolean" }
  | { kind: "enum"; options: { value: string; label: string }[] }
  | { kind: "number"; min: number | null; max: number | null; isInteger: boolean }
  | { kind: "string-list"; maxItems: number | null }
  | {
      kind: "number-list";
      min: number | null;
      max: number | null;
      minItems: number | null;
      maxItems: number | null;
    }
  | {
      kind: "object";
      fields: { name: string; shape: ObjectFieldShape }[];
    }
  | {
      /** A text that may be absent: empty means none (null, or the key left out when optional). */
      kind: "nullable-string";
      format: string | null;
      isOptional: boolean;
    }
  | {
      /** A list of flat entries, edited as a table; each field is one of `ListEntryFieldShape`. */
      kind: "object-list";
      fields: { name: string; shape: ListEntryFieldShape }[];
      maxItems: number | null;
    }
  | { kind: "readonly" };

/** What one field of an object may be: the inputs typed or chosen in place. */
export type ObjectFieldShape = Extract<
  FieldShape,
  { kind: "boolean" | "enum" | "number" | "string-list" | "number-list" }
>;

/** What one field of an object-list entry may be: a text, an optional text, a choice, or several choices. */
export type ListEntryFieldShape =
  | { kind: "string"; format: string | null }
  | Extract<FieldShape, { kind: "nullable-string" | "enum" }>
  | { kind: "enum-list"; options: { value: string; label: string }[] };

/** Shapes an object's fields may have (the object editor's inputs). */
const objectFieldKinds = new Set(["boolean", "enum", "number", "string-list", "number-list"]);
const listEntryFieldKinds = new Set(["string", "nullable-string", "enum", "enum-list"]);

type AnyShape = FieldShape | ListEntryFieldShape;

interface ZodLike {
  _zod: {
    def: {
      type: string;
      format?: string;
      entries?: Record<string, string>;
      element?: ZodLike;
      shape?: Record<string, ZodLike>;
      innerType?: ZodLike;
      checks?: { _zod: { def: { check: string; minimum?: number; maximum?: number } } }[];
    };
  };
  minValue?: number | null;
  maxValue?: number | null;
  isInt?: boolean;
}

function lengthBound(schema: ZodLike, check: "min_length" | "max_length"): number | null {
  const found = schema._zod.def.checks?.find((c) => c._zod.def.check === check)?._zod.def;
  return (check === "min_length" ? found?.minimum : found?.maximum) ?? null;
}

function finite(value: number | null | undefined): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function enumOptions(schema: ZodLike): { value: string; label: string }[] {
  return Object.values(schema._zod.def.entries ?? {}).map((value) => ({ value, label: choiceLabel(value) }));
}

/** Any shape the schema has, wherever it sits; `fieldShape` decides which are editable at the top. */
function shapeOf(schema: ZodLike, isTopLevel: boolean): AnyShape {
  const def = schema._zod.def;
  switch (def.type) {
    case "boolean":
      return { kind: "boolean" };
    case "enum":
      return { kind: "enum", options: enumOptions(schema) };
    case "string":
      return { kind: "string", format: def.format ?? null };
    case "nullable":
    case "optional": {
      const inner = def.innerType?._zod.def;
      if (inner?.type !== "string") return { kind: "readonly" };
      return { kind: "nullable-string", format: inner.format ?? null, isOptional: def.type === "optional" };
    }
    case "number":
      return {
        kind: "number",
        min: finite(schema.minValue),
        max: finite(schema.maxValue),
        isInteger: schema.isInt === true,
      };
    case "array": {
      const element = def.element?._zod.def.type;
      const minItems = lengthBound(schema, "min_length");
      const maxItems = lengthBound(schema, "max_length");
      if (element === "string") return { kind: "string-list", maxItems };
      if (element === "number") {
        const inner = def.element!;
        return {
          kind: "number-list",
          min: finite(inner.minValue),
          max: finite(inner.maxValue),
          minItems,
          maxItems,
        };
      }
      if (element === "enum") return { kind: "enum-list", options: enumOptions(def.element!) };
      if (element === "object" && isTopLevel) {
        const fields = fieldsOf(def.element!, listEntryFieldKinds);
        return fields
          ? {
              kind: "object-list",
              fields: fields as { name: string; shape: ListEntryFieldShape }[],
              maxItems,
            }
          : { kind: "readonly" };
      }
      return { kind: "readonly" };
    }
    case "object": {
      if (!isTopLevel) return { kind: "readonly" };
      const fields = fieldsOf(schema, objectFieldKinds);
      return fields
        ? { kind: "object", fields: fields as Extract<FieldShape, { kind: "object" }>["fields"] }
        : { kind: "readonly" };
    }
    default:
      return { kind: "readonly" };
  }
}

/**
 * An object's fields, or null when one of them is not of `allowed` kinds: one field the editor cannot
 * handle makes the whole object read-only (a specialised card edits it).
 */
function fieldsOf(schema: ZodLike, allowed: Set<string>): { name: string; shape: AnyShape }[] | null {
  const fields = Object.entries(schema._zod.def.shape ?? {}).map(([name, field]) => ({
    name,
    shape: shapeOf(field, false),
  }));
  return fields.length && fields.every((f) => allowed.has(f.shape.kind)) ? fields : null;
}

/** Kinds that only make sense inside an object-list entry are not editable as a whole setting. */
const topLevelKinds = new Set<string>([...objectFieldKinds, "object", "object-list", "nullable-string"]);

/** The editor for one setting; `readonly` for shapes (unions, nested objects) it cannot edit. */
export function fieldShape(key: PolicyKey): FieldShape {
  const schema = (policySchema.shape as unknown as Record<string, ZodLike | undefined>)[key];
  const shape = schema ? shapeOf(schema, true) : null;
  return shape && topLevelKinds.has(shape.kind) ? (shape as FieldShape) : { kind: "readonly" };
}

/**
 * What is wrong with a value typed for a setting, checked with the setting's own schema — the one the
 * server checks with — so the editor refuses exactly what a save would. A list of entries gets one message
 * per bad entry ("Entry 2: 203.0.113.300 is not an IP address or network").
 */
export function settingProblems(key: PolicyKey, value: unknown): string[] {
  const result = policySchema.shape[key].safeParse(value);
  if (result.success) return [];
  const byEntry = new Map<number | "whole", string[]>();
  for (const issue of result.error.issues) {
    const at = Array.isArray(value) && typeof issue.path[0] === "number" ? issue.path[0] : "whole";
    byEntry.set(at, [...(byEntry.get(at) ?? []), issue.message]);
  }
  return [...byEntry].map(([at, messages]) =>
    at === "whole" ? messages.join("; ") : `Entry ${at + 1}: ${messages.join("; ")}`,
  );
}
