// Inputs of the customer router's forms: a new customer and a new console user of a customer.
import { z } from "zod";
import { emailAddress, requiredText, rowId, secretText } from "./fields";

export const customerRoles = ["CUSTOMER_ADMIN", "DOMAIN_ADMIN", "AUDITOR"] as const;

export const createCustomerInput = z.object({
  name: requiredText(100, "Enter a name."),
  require2fa: z.boolean().default(false),
});

export const addCustomerUserInput = z.object({
  customerId: rowId,
  email: emailAddress(),
  name: requiredText(100, "Enter a name."),
  role: z.enum(customerRoles, "Choose a role."),
  domainIds: z.array(rowId).max(500).default([]),
  password: secretText(),
});
