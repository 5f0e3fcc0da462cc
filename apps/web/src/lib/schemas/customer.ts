// Inputs of the customer router's forms: a new customer and a new console user of a customer.
import { z } from "zod";
import { emailAddress, requiredText, rowId, secretText } from "./fields";

export const customerRoles = ["CUSTOMER_ADMIN", "DOMAIN_ADMIN", "AUDITOR"] as const;

export const createCustomerInput = z.object({
  name: requiredText(100, "Enter a name."),
  require2fa: z.boolean().default(false),
});

const roleAndDomains = z.object({
  role: z.enum(customerRoles),
  domainIds: z.array(rowId).max(500).default([]),
});

export const addCustomerUserInput = z
  .object({
    customerId: rowId,
    email: emailAddress(),
    name: requiredText(100, "Enter a name."),
    role: z.enum(customerRoles, "Choose a role."),
    domainIds: z.array(rowId).max(500).default([]),
    password: secretText(),
  })
  .refine((user) => user.role !== "DOMAIN_ADMIN" || user.domainIds.length > 0, {
    message: "Choose at least one domain for a domain admin.",
    path: ["domainIds"],
    // Said together with the other fields' messages, not only once they are all right.
    when: ({ value }) => roleAndDomains.safeParse(value).success,
  });
