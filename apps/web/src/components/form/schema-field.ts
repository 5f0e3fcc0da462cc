// Reads what the browser should know about one field from its zod schema: whether it is required, its
// maximum length and whether it is an email address. Keeps `required`/`maxLength`/`type` on inputs true
// to the schema without writing the limits twice.
import type { z } from "zod";

export interface FieldConstraints {
  required: boolean;
  maxLength?: number;
  type?: "email";
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

export function fieldConstraints(schema: z.ZodObject, name: string): FieldConstraints {
  let field = (schema.shape as Record<string, z.ZodType | undefined>)[name];
  let isOptional = false;
  // Unwrap optional(), default(), nullable() and pipes down to the checks on the value itself.
  for (let depth = 0; field && depth < 8; depth++) {
    const def = field.def as unknown as Def;
    if (def.type === "optional" || def.type === "default" || def.type === "nullable") {
      isOptional = true;
      field = def.innerType;
    } else if (def.type === "pipe") field = def.in;
    else break;
  }
  if (!field || (field.def as unknown as Def).type !== "string") return { required: false };
  const text = field as z.ZodString;
  return {
    required: !isOptional && (text.minLength ?? 0) > 0,
    maxLength: text.maxLength ?? undefined,
    type: text.format === "email" ? "email" : undefined,
  };
}
