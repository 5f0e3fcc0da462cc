// "Servers · Mailwarden". Next.js hands a title template only to a layout's direct children, so every
// layout that names its section passes the template on with sectionTitle().
import type { Metadata } from "next";

export const titleTemplate = "%s · Mailwarden";

/** The title of a layout's own page, and the template its child pages' titles go into. */
export function sectionTitle(name: string): Metadata["title"] {
  return { default: name, template: titleTemplate };
}
