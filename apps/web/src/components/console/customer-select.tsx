// The "which customer" picker of the provider's create dialogs.
"use client";
import { useQuery } from "@tanstack/react-query";
import { Field, Select } from "../ui/input";
import { useTRPC } from "~/lib/trpc";

export function CustomerSelect({
  id,
  value,
  onChange,
}: {
  id: string;
  value: string;
  onChange: (customerId: string) => void;
}) {
  const trpc = useTRPC();
  const customers = useQuery(trpc.customer.list.queryOptions());
  return (
    <Field label="Customer" htmlFor={id}>
      <Select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Choose a customer…</option>
        {customers.data?.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </Select>
    </Field>
  );
}

/** The same choices for a schema form's <Select>: `<FormField …>{(c) => <Select {...c}><CustomerOptions /></Select>}`. */
export function CustomerOptions() {
  const trpc = useTRPC();
  const customers = useQuery(trpc.customer.list.queryOptions());
  return (
    <>
      <option value="">Choose a customer…</option>
      {customers.data?.map((c) => (
        <option key={c.id} value={c.id}>
          {c.name}
        </option>
      ))}
    </>
  );
}
