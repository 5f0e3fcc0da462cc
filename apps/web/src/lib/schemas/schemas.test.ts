// The shared input schemas speak plainly: these are the words a hosting admin reads under a field, in
// the browser and from the server alike.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fieldConstraints } from "~/components/form/schema-field";
import { addCustomerUserInput, createCustomerInput } from "./customer";
import { createDomainInput, createMailboxInput } from "./domain";

function messages(schema: z.ZodType, value: unknown) {
  const result = schema.safeParse(value);
  return result.success ? {} : z.flattenError(result.error).fieldErrors;
}

describe("shared input schemas", () => {
  it("say what is missing, too long or malformed", () => {
    expect(messages(createCustomerInput, { name: " " })).toEqual({ name: ["Enter a name."] });
    expect(messages(createCustomerInput, { name: "x".repeat(300) })).toEqual({
      name: ["At most 100 characters."],
    });
    expect(
      messages(addCustomerUserInput, {
        customerId: "c1",
        email: "not-an-address",
        name: "Ann",
        role: "AUDITOR",
        password: "x",
      }),
    ).toEqual({ email: ["Enter a valid email address."] });
    expect(messages(createDomainInput, { name: "bad domain" })).toEqual({
      name: ["Enter a domain name like example.com."],
    });
    expect(messages(createMailboxInput, { domainId: "d1", localPart: "-x", password: "p" })).toEqual({
      localPart: ["Use only letters, digits and . _ + - (not at the start or end)."],
    });
  });

  it("name a domain admin's missing domains together with the other fields", () => {
    expect(
      Object.keys(
        messages(addCustomerUserInput, {
          customerId: "c1",
          email: "",
          name: "",
          role: "DOMAIN_ADMIN",
          password: "",
        }),
      ).sort(),
    ).toEqual(["domainIds", "email", "name", "password"]);
  });

  it("accept what the services accept", () => {
    expect(createDomainInput.parse({ name: " Example.COM. " }).name).toBe("Example.COM.");
    expect(
      addCustomerUserInput.parse({
        customerId: "c1",
        email: " Ann@Example.com ",
        name: "Ann",
        role: "AUDITOR",
        password: "x",
      }).email,
    ).toBe("ann@example.com");
  });

  it("tell the inputs their limits", () => {
    expect(fieldConstraints(addCustomerUserInput, "email")).toEqual({
      required: true,
      maxLength: 254,
      type: "email",
    });
    expect(fieldConstraints(createMailboxInput, "displayName")).toEqual({
      required: false,
      maxLength: 100,
      type: undefined,
    });
    expect(fieldConstraints(createDomainInput, "customerId")).toEqual({
      required: false,
      maxLength: 64,
      type: undefined,
    });
  });
});
