// A command or record a user must paste elsewhere, with a copy button.
"use client";
import * as React from "react";
import { Button } from "./ui/button";

export function CopyBlock({
  value,
  label,
  hint,
  testId,
}: {
  value: string;
  label: string;
  hint?: string;
  testId?: string;
}) {
  const [copied, setCopied] = React.useState(false);
  return (
    <div className="space-y-1.5">
      <div className="flex items-center justify-between">
        <span>
          <span className="block text-sm font-medium text-slate-700">{label}</span>
          {hint && <span className="block text-xs text-slate-500">{hint}</span>}
        </span>
        <Button
          type="button"
          variant="ghost"
          size="sm"
          onClick={() => {
            void navigator.clipboard?.writeText(value).then(() => setCopied(true));
            setTimeout(() => setCopied(false), 1500);
          }}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
      </div>
      <pre
        className="overflow-x-auto whitespace-pre-wrap break-all rounded-md bg-slate-900 px-3 py-2.5 font-mono text-xs text-slate-100"
        data-testid={testId ? `copy-${testId}` : undefined}
      >
        {value}
      </pre>
    </div>
  );
}
