// The console's form pattern in one import: `import { useZodForm, Form, FormField } from "~/components/form"`.
export { useZodForm, setServerError, FORM_ERROR, type ZodForm } from "./use-zod-form";
export {
  Form,
  FormField,
  FormCheckbox,
  FormError,
  FieldFrame,
  useFieldControl,
  type FieldControl,
} from "./form-field";
export { FormPasswordField, PasswordPolicyHint } from "./password-field";
export { fieldConstraints } from "./schema-field";
