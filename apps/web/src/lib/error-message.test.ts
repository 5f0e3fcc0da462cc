// What a person reads when a call fails: plain sentences under the right fields, never zod's JSON.
import { describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { CHECK_FIELDS, errorMessage, splitServerError } from "./error-message";

function clientError(message: string, data: Record<string, unknown>) {
  return new TRPCClientError(message, { result: { error: { message, code: -32600, data } } });
}

const zodJson = '[{"origin":"string","code":"too_small","minimum":1,"path":["name"],"message":"Too small"}]';

describe("errorMessage", () => {
  it("shows the first field message of a failed input check", () => {
    const error = clientError(zodJson, {
      code: "BAD_REQUEST",
      zodError: {
        formErrors: [],
        fieldErrors: { name: ["Enter a name."], email: ["Enter a valid email address."] },
      },
    });
    expect(errorMessage(error)).toBe("Enter a name.");
  });

  it("never shows JSON, even from a server without the formatter", () => {
    expect(errorMessage(clientError(zodJson, { code: "BAD_REQUEST" }))).toBe(CHECK_FIELDS);
    expect(errorMessage(clientError('{"code":"x"}', { code: "INTERNAL_SERVER_ERROR" }))).toBe(
      "Something went wrong.",
    );
  });

  it("keeps a service's sentence", () => {
    expect(errorMessage(clientError("example.com is already managed here.", { code: "CONFLICT" }))).toBe(
      "example.com is already managed here.",
    );
    expect(errorMessage(null)).toBeNull();
  });
});

describe("splitServerError", () => {
  it("puts each field's first message under the field and the rest above the form", () => {
    const error = clientError(zodJson, {
      code: "BAD_REQUEST",
      zodError: {
        formErrors: [],
        fieldErrors: { name: ["At most 100 characters.", "second"], customerId: ["Choose a customer."] },
      },
    });
    expect(splitServerError(error, ["name"])).toEqual({
      fieldErrors: { name: "At most 100 characters." },
      formError: "Choose a customer.",
    });
  });

  it("asks to check the fields when a failed check names none", () => {
    const error = clientError(zodJson, {
      code: "BAD_REQUEST",
      zodError: { formErrors: [], fieldErrors: {} },
    });
    expect(splitServerError(error, ["name"])).toEqual({ fieldErrors: {}, formError: CHECK_FIELDS });
  });

  it("puts a service error under the field it names, or its reasons under the password field", () => {
    const named = clientError("A user with that email already exists.", { code: "CONFLICT", field: "email" });
    expect(splitServerError(named, ["email", "name"])).toEqual({
      fieldErrors: { email: "A user with that email already exists." },
      formError: null,
    });
    const rejected = clientError("Password rejected: Too short.", {
      code: "BAD_REQUEST",
      details: ["Too short."],
    });
    expect(splitServerError(rejected, ["password"], { detailsField: "password" })).toEqual({
      fieldErrors: { password: "Password rejected: Too short." },
      formError: null,
    });
    expect(splitServerError(rejected, ["password"])).toEqual({
      fieldErrors: {},
      formError: "Password rejected: Too short.",
    });
  });
});
