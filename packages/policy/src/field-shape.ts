// What kind of input edits a setting, read from its zod schema. Settings are being added all the time;
// the dashboard's editor renders whatever shape this returns, so a new enum, switch, number, list or
// object of those needs no new form code — and a shape nobody can edit safely is shown read-only.
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
      fields: { name: string; shape: Exclude<FieldShape, { kind: "object" | "readonly" }> }[];
    }
  | { kind: "readonly" };

interface ZodLike {
  _zod: {
    def: {
      type: string;
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

function shapeOf(schema: ZodLike, isTopLevel: boolean): FieldShape {
  const def = schema._zod.def;
  switch (def.type) {
    case "boolean":
      return { kind: "boolean" };
    case "enum":
      return {
        kind: "enum",
        options: Object.values(def.entries ?? {}).map((value) => ({ value, label: choiceLabel(value) })),
      };
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
      return { kind: "readonly" };
    }
    case "object": {
      if (!isTopLevel || !def.shape) return { kind: "readonly" };
      const fields = Object.entries(def.shape).map(([name, field]) => ({
        name,
        shape: shapeOf(field, false),
      }));
      // One field the editor cannot handle makes the whole object read-only (a specialised card edits it).
      if (fields.some((f) => f.shape.kind === "readonly" || f.shape.kind === "object"))
        return { kind: "readonly" };
      return { kind: "object", fields: fields as Extract<FieldShape, { kind: "object" }>["fields"] };
    }
    default:
      return { kind: "readonly" };
  }
}

/** The editor for one setting; `readonly` for shapes (nullable, unions, nested objects) it cannot edit. */
export function fieldShape(key: PolicyKey): FieldShape {
  const schema = (policySchema.shape as unknown as Record<string, ZodLike | undefined>)[key];
  return schema ? shapeOf(schema, true) : { kind: "readonly" };
}
