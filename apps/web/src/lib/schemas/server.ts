// Inputs of the server router's forms.
import { z } from "zod";
import { requiredText } from "./fields";

export const createServerInput = z.object({
  name: requiredText(100, "Enter a name."),
  customerId: z.string().min(1, "Choose a customer.").max(64),
});
